import { All, Controller, Inject, Req, Res, SetMetadata, type Type } from '@nestjs/common'
import type { SuperOfficeReceiver } from '@superoffice-webhooks/core'
import { SUPEROFFICE_WEBHOOK_ROUTE, SUPEROFFICE_WEBHOOKS } from './constants.js'
import { CONTENT_TYPE } from './superoffice-webhooks.raw-body.js'

/** What Express and Fastify requests both have here. */
interface RequestLike {
  method: string
  headers: Record<string, string | string[] | undefined>
  url?: string
  rawBody?: Buffer
  body?: unknown
  raw?: AsyncIterable<Uint8Array> & { readableEnded?: boolean; [CONTENT_TYPE]?: string | string[] | undefined }
  readableEnded?: boolean
  [CONTENT_TYPE]?: string | string[] | undefined
  [Symbol.asyncIterator]?: () => AsyncIterator<Uint8Array>
}

/** `status` and `header` exist, with these meanings, on Express responses and Fastify replies. */
interface ResponseLike {
  status(code: number): unknown
  header(name: string, value: string): unknown
}

const RAW_BODY_FIX =
  'The request body was parsed before the SuperOffice webhook saw its raw bytes, which the ' +
  'signature is computed over. The module reads its own route before Express and Fastify parse it; ' +
  'a parser mounted outside Nest (app.use(...) before the module) must leave this route alone.'

/**
 * Builds the receiving controller at `path`, so forRoot and forRootAsync can both choose it. Every
 * method is routed here: core answers anything but POST with 405 and `Allow: POST`.
 */
export function createWebhookController(
  path: string,
  decorators: readonly MethodDecorator[] = [],
  receiverToken: symbol = SUPEROFFICE_WEBHOOKS,
): Type<unknown> {
  @Controller(path)
  @SetMetadata(SUPEROFFICE_WEBHOOK_ROUTE, true)
  class SuperOfficeWebhooksController {
    constructor(
      @Inject(receiverToken)
      private readonly webhooks: SuperOfficeReceiver,
    ) {}

    @All()
    @SetMetadata(SUPEROFFICE_WEBHOOK_ROUTE, true)
    async receive(@Req() req: RequestLike, @Res({ passthrough: true }) res: ResponseLike): Promise<unknown> {
      const node = req.raw ?? (req as AsyncIterable<Uint8Array> & { readableEnded?: boolean })
      // The request's own content type, which the module swapped for its own ahead of the parsers.
      const marked = req.raw ?? req
      if (CONTENT_TYPE in marked) {
        const own = marked[CONTENT_TYPE]
        if (own === undefined) delete req.headers['content-type']
        else req.headers['content-type'] = own
      }
      // The module left the route's stream unread (Fastify hands it on as the body): core reads it.
      const parsed = req.body === node ? undefined : req.body
      const own = Buffer.isBuffer(parsed) ? parsed : req.rawBody
      const answer = await this.webhooks.receive({
        method: req.method,
        headers: req.headers,
        url: req.url,
        body: { bytes: own, node, parsed: own === undefined ? parsed : undefined },
        request: req,
        rawBodyFix: RAW_BODY_FIX,
      })
      res.status(answer.status)
      for (const [name, value] of Object.entries(answer.headers)) res.header(name, value)
      return answer.body
    }
  }
  // Applied to the route's handler, as method decorators (SetMetadata, SkipThrottle, Version,
  // UseGuards, UseInterceptors all work there; guards read handler metadata before class metadata).
  if (decorators.length > 0) {
    const prototype = SuperOfficeWebhooksController.prototype
    const descriptor = Object.getOwnPropertyDescriptor(prototype, 'receive') as PropertyDescriptor
    const decorated = Reflect.decorate(decorators as MethodDecorator[], prototype, 'receive', descriptor)
    Object.defineProperty(prototype, 'receive', (decorated as PropertyDescriptor | undefined) ?? descriptor)
  }
  return SuperOfficeWebhooksController
}
