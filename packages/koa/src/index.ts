import type { SuperOfficeReceiver, SuperOfficeWebhookAnswer } from '@superoffice-webhooks/core'
import type { Context, Middleware } from 'koa'

/** Options of {@link superOfficeWebhooks}. */
export interface SuperOfficeKoaOptions {
  /** Where SuperOffice posts. Default `/webhooks/superoffice`. */
  path?: string
}

/**
 * What the handler leaves in `ctx.state.superOffice` for logging middleware upstream.
 *
 * @example
 * ```ts
 * app.use(async (ctx, next) => { await next(); if (ctx.state.superOffice) log(ctx.state.superOffice) })
 * ```
 */
export interface SuperOfficeKoaState {
  status: number
  code: string
  event: string | undefined
  eventId: string | undefined
}

const RAW_BODY_FIX =
  'A body parser consumed the request before the SuperOffice webhook handler. Mount ' +
  'superOfficeWebhooks() before the body parser, or use one that keeps ctx.request.rawBody.'

/**
 * Koa middleware (Koa 2 and 3) that receives SuperOffice webhooks on one path and leaves every
 * other request to the next middleware. Reads the raw body itself, with the size limit; mount it
 * before a body parser, or keep the parser's `ctx.request.rawBody`.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
 * import { superOfficeWebhooks } from '@superoffice-webhooks/koa'
 *
 * const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET! })
 * webhooks.on('sale.sold', (event) => console.log('sold', event.PrimaryKey))
 *
 * new Koa().use(superOfficeWebhooks(webhooks, { path: '/webhooks/superoffice' })).listen(3000)
 * // The tenant status webhook (createSuperOfficeTenantStatus, @superoffice-webhooks/api) the same way:
 * // app.use(superOfficeWebhooks(tenantStatus, { path: '/superoffice/tenant-status' }))
 * ```
 */
export function superOfficeWebhooks(webhooks: SuperOfficeReceiver, options: SuperOfficeKoaOptions = {}): Middleware {
  const path = options.path ?? '/webhooks/superoffice'
  const handler = superOfficeWebhookHandler(webhooks)
  // req.url equal to the path (no query string) needs no URL parse; anything else asks ctx.path.
  return (ctx, next) => (ctx.url === path || ctx.path === path ? handler(ctx, next) : next())
}

/**
 * The same without a path, for a router: answers whatever request reaches it (405 with
 * `Allow: POST` for other methods). Handlers get the Koa `Context` as `context.request`; failures
 * of 500 also go to `app.emit('error', err, ctx)`, including those after an early answer.
 *
 * @example
 * ```ts
 * import Router from '@koa/router'
 *
 * const router = new Router()
 * router.all('/webhooks/superoffice', superOfficeWebhookHandler(webhooks))
 * app.use(router.routes())
 * ```
 */
export function superOfficeWebhookHandler(webhooks: SuperOfficeReceiver): Middleware {
  return (ctx) => {
    const request = ctx.request as { rawBody?: unknown; body?: unknown }
    const raw = request.rawBody
    return webhooks
      .receive({
        method: ctx.method,
        headers: ctx.headers,
        // The path and query, as Node's req.url has them (ctx.href would build the origin per request).
        url: ctx.originalUrl,
        body: {
          bytes: typeof raw === 'string' || raw instanceof Uint8Array ? raw : undefined,
          node: ctx.req,
          parsed: request.body,
        },
        request: ctx,
        rawBodyFix: RAW_BODY_FIX,
        // Failures after an early answer (respond: 'after-claim') reach the app's error listeners
        // too; those answered 500 are emitted with the answer.
        onFailure: (error, info) => {
          if (info.status === 200 && error.status >= 500) ctx.app.emit('error', error, ctx)
        },
      })
      .then((answer) => answerWith(ctx, answer))
  }
}

function answerWith(ctx: Context, answer: SuperOfficeWebhookAnswer): void {
  ctx.status = answer.status
  // Koa gives an object body `application/json; charset=utf-8` itself: only the other headers.
  for (const name in answer.headers) if (name !== 'content-type') ctx.set(name, answer.headers[name] as string)
  ctx.body = answer.body
  const event = answer.event
  const state: SuperOfficeKoaState = {
    status: answer.status,
    code: answer.body.ok ? 'ok' : answer.body.error,
    event: typeof event?.Event === 'string' ? event.Event : undefined,
    eventId: typeof event?.EventId === 'string' ? event.EventId : undefined,
  }
  ctx.state.superOffice = state
  if (answer.error && answer.status >= 500) ctx.app.emit('error', answer.error, ctx)
}
