import type { Provider } from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'

/** The content type the module gives its route, so no body parser of the app's takes the body. */
const ROUTE_TYPE = 'application/x-superoffice-webhook-raw'
/** Where the request's own content type waits until the controller puts it back. */
export const CONTENT_TYPE = Symbol.for('@superoffice-webhooks/nestjs:content-type')

/** A request as the hooks see it: Express's, or Fastify's raw Node request. */
interface HookRequest {
  method?: string
  url?: string
  originalUrl?: string
  headers: Record<string, string | string[] | undefined>
  [CONTENT_TYPE]?: string | string[] | undefined
}
interface ExpressLike {
  use(handler: (req: HookRequest, res: unknown, next: () => void) => void): unknown
}
interface FastifyLike {
  hasContentTypeParser(type: string): boolean
  addContentTypeParser(
    type: string,
    parser: (req: unknown, payload: unknown, done: (error: Error | null, body?: unknown) => void) => void,
  ): unknown
  addHook(
    name: 'onRequest',
    hook: (request: { method: string; url: string; raw: HookRequest }, reply: unknown, done: () => void) => void,
  ): unknown
}

/**
 * Keeps the webhook route's body unread until core's `receive` reads it (with the size limit, a
 * 413 from `Content-Length` before the upload, the pipeline's own answers). Ahead of any parser,
 * the route's requests get a content type of the module's own: Express's parsers (body-parser 1
 * and 2) skip a type they were not given, and on Fastify that type's parser hands the stream on
 * untouched. The controller puts the request's own content type back before `receive`. So no JSON
 * parse, no decompression and no 415 happen before the signature check, and nothing here answers
 * a request.
 */
export function createRawBodyReader(path: string, provide: symbol): Provider {
  return {
    provide,
    inject: [HttpAdapterHost],
    useFactory: (host: HttpAdapterHost) => {
      const adapter = host.httpAdapter as { getType?(): string; getInstance?(): unknown } | undefined
      const instance = adapter?.getInstance?.()
      // The global prefix and URI versions are not known yet: match the route by its end.
      const suffix = `/${path.replace(/^\/+|\/+$/g, '')}`.toLowerCase()
      const matches = (url: string | undefined) => {
        const route = (url ?? '').split('?')[0]?.replace(/\/+$/, '').toLowerCase() ?? ''
        return route === suffix || route.endsWith(suffix)
      }
      const mark = (req: HookRequest) => {
        req[CONTENT_TYPE] = req.headers['content-type']
        req.headers['content-type'] = ROUTE_TYPE
      }
      if (adapter?.getType?.() === 'express') {
        ;(instance as ExpressLike).use((req, _res, next) => {
          if (req.method === 'POST' && matches(req.originalUrl ?? req.url)) mark(req)
          next()
        })
      } else if (adapter?.getType?.() === 'fastify') {
        const fastify = instance as FastifyLike
        // One parser for every route the module reads (the webhook and the tenant status route).
        if (!fastify.hasContentTypeParser(ROUTE_TYPE)) {
          fastify.addContentTypeParser(ROUTE_TYPE, (_req, payload, done) => done(null, payload))
        }
        fastify.addHook('onRequest', (request, _reply, done) => {
          if (request.method === 'POST' && matches(request.url)) mark(request.raw)
          done()
        })
      }
      return true
    },
  }
}
