import type { Provider } from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import { type SuperOfficeWebhookAnswer, SuperOfficeWebhookError } from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import { SUPEROFFICE_WEBHOOKS } from './constants.js'

/** Where the reader leaves the bytes (or the 413/abort error) on the Node request. */
export const RAW_BODY = Symbol.for('@superoffice-webhooks/nestjs:raw-body')
/** The content type the Fastify reader gives the webhook route, so only its own parser sees the bytes. */
const FASTIFY_TYPE = 'application/x-superoffice-webhook-raw'

interface ResponseLike {
  statusCode: number
  setHeader(name: string, value: string): unknown
  end(body: string): unknown
}
interface ExpressLike {
  use(handler: (req: NodeRequest, res: ResponseLike, next: () => void) => void): unknown
}
interface FastifyReplyLike {
  code(status: number): { headers(headers: Record<string, string>): { send(body: unknown): unknown } }
}
interface FastifyLike {
  addContentTypeParser(
    type: string,
    options: { parseAs: 'buffer'; bodyLimit: number },
    parser: (req: unknown, body: Buffer, done: (error: Error | null, body?: unknown) => void) => void,
  ): unknown
  addHook(
    name: 'onRequest',
    hook: (
      request: { method: string; url: string; headers: Record<string, string | string[] | undefined> },
      reply: FastifyReplyLike,
      done: () => void,
    ) => void,
  ): unknown
}
type NodeRequest = AsyncIterable<Uint8Array> & {
  method?: string
  url?: string
  originalUrl?: string
  headers: Record<string, string | string[] | undefined>
  _body?: boolean
  [RAW_BODY]?: Uint8Array | unknown
}

/**
 * Reads the raw bytes of the webhook route itself, before any body parser the app has: on Express
 * a middleware registered ahead of Nest's parsers (which then skip the request), on Fastify a
 * parser of its own for that route. So no JSON parse, no decompression and no 415 happen before
 * the signature check, and an oversized `Content-Length` is refused before the upload.
 */
export function createRawBodyReader(
  path: string,
  receiverToken: symbol = SUPEROFFICE_WEBHOOKS,
  provide: symbol = RAW_BODY,
): Provider {
  return {
    provide,
    inject: [HttpAdapterHost, receiverToken],
    useFactory: (
      host: HttpAdapterHost,
      webhooks: { maxBodyBytes: number; answerError(error: unknown): SuperOfficeWebhookAnswer },
    ) => {
      const adapter = host.httpAdapter as { getType?(): string; getInstance?(): unknown } | undefined
      const instance = adapter?.getInstance?.()
      // The global prefix and URI versions are not known yet: match the route by its end.
      const suffix = `/${path.replace(/^\/+|\/+$/g, '')}`.toLowerCase()
      const matches = (url: string | undefined) => {
        const route = (url ?? '').split('?')[0]?.replace(/\/+$/, '').toLowerCase() ?? ''
        return route === suffix || route.endsWith(suffix)
      }
      const limit = webhooks.maxBodyBytes
      if (adapter?.getType?.() === 'express') {
        ;(instance as ExpressLike).use((req, res, next) => {
          if (req.method !== 'POST' || !matches(req.originalUrl ?? req.url)) return next()
          const read = readRawBody(req, { limit, headers: req.headers })
          read.then(
            (bytes) => {
              req[RAW_BODY] = bytes
              req._body = true // Express's body parsers skip a request marked as parsed
              next()
            },
            (error: unknown) => {
              // Too large, or the client went away: answered here, before any parser reads on.
              const answer = webhooks.answerError(error)
              res.statusCode = answer.status
              for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value)
              res.end(JSON.stringify(answer.body))
            },
          )
        })
      } else if (adapter?.getType?.() === 'fastify') {
        const fastify = instance as FastifyLike
        // One parser for every route the module reads (the webhook and the tenant status route).
        if (!parsing.has(fastify)) {
          parsing.add(fastify)
          fastify.addContentTypeParser(FASTIFY_TYPE, { parseAs: 'buffer', bodyLimit: limit }, (_req, body, done) =>
            done(null, body),
          )
        }
        fastify.addHook('onRequest', (request, reply, done) => {
          if (request.method !== 'POST' || !matches(request.url)) return done()
          const declared = Number(request.headers['content-length'])
          if (declared > limit) {
            // An oversized upload is refused before it is read, with the pipeline's own answer.
            const answer = webhooks.answerError(tooLarge(limit))
            reply
              .code(answer.status)
              .headers({ ...answer.headers })
              .send(answer.body)
            return
          }
          request.headers['content-type'] = FASTIFY_TYPE
          done()
        })
      }
      return true
    },
  }
}

const parsing = new WeakSet<object>()

const tooLarge = (limit: number) =>
  new SuperOfficeWebhookError('payload_too_large', `The body is larger than ${limit} bytes.`)
