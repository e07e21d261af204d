import { Controller, Inject, Post, Req, Res, type Type } from '@nestjs/common'
import { readRawBody, SuperOfficeWebhookError, type SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { SUPEROFFICE_WEBHOOKS } from './constants.js'

/** What Express and Fastify requests both have here. */
interface RequestLike {
  headers: Record<string, string | string[] | undefined>
  rawBody?: Buffer
  body?: unknown
  url?: string
  raw?: AsyncIterable<Uint8Array> & { readableEnded?: boolean }
  readableEnded?: boolean
  [Symbol.asyncIterator]?: () => AsyncIterator<Uint8Array>
}

/** `status` and `header` exist, with these meanings, on Express responses and Fastify replies. */
interface ResponseLike {
  status(code: number): unknown
  header(name: string, value: string): unknown
}

const RAW_BODY_FIX =
  'The request body was parsed before the SuperOffice webhook saw its raw bytes, which the ' +
  'signature is computed over. Create the app with raw body enabled: ' +
  'NestFactory.create(AppModule, { rawBody: true }) (Express), or ' +
  'NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true }) (Fastify).'

/** Builds the receiving controller at `path`, so forRoot and forRootAsync can both choose it. */
export function createWebhookController(path: string): Type<unknown> {
  @Controller(path)
  class SuperOfficeWebhooksController {
    constructor(@Inject(SUPEROFFICE_WEBHOOKS) private readonly webhooks: SuperOfficeWebhooks) {}

    @Post()
    async receive(@Req() req: RequestLike, @Res({ passthrough: true }) res: ResponseLike): Promise<unknown> {
      let answer: ReturnType<SuperOfficeWebhooks['answerError']>
      try {
        const rawBody = await rawBodyOf(req, this.webhooks.maxBodyBytes)
        answer = await this.webhooks.handle({ rawBody, headers: req.headers, url: req.url })
      } catch (error) {
        answer = this.webhooks.answerError(error)
      }
      res.status(answer.status)
      for (const [name, value] of Object.entries(answer.headers)) res.header(name, value)
      return answer.body
    }
  }
  return SuperOfficeWebhooksController
}

async function rawBodyOf(req: RequestLike, limit: number): Promise<Uint8Array> {
  if (req.rawBody instanceof Uint8Array) return req.rawBody
  // With bodyParser: false (Express) the stream is still unread: read it with the limit.
  const stream = req.raw ?? (req as AsyncIterable<Uint8Array> & { readableEnded?: boolean })
  if (req.body === undefined && typeof stream[Symbol.asyncIterator] === 'function' && !stream.readableEnded) {
    return readRawBody(stream, { limit, headers: req.headers })
  }
  throw new SuperOfficeWebhookError('raw_body_unavailable', RAW_BODY_FIX)
}
