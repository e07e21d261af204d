import {
  methodNotAllowed,
  readRawBody,
  type SuperOfficeWebhookAnswer,
  SuperOfficeWebhookError,
  type SuperOfficeWebhooks,
} from '@superoffice-webhooks/core'
import type { Context, Middleware } from 'koa'

/** Options of {@link superOfficeWebhooks}. */
export interface SuperOfficeKoaOptions {
  /** Where SuperOffice posts. Default `/webhooks/superoffice`. */
  path?: string
}

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
 * ```
 */
export function superOfficeWebhooks(webhooks: SuperOfficeWebhooks, options: SuperOfficeKoaOptions = {}): Middleware {
  const path = options.path ?? '/webhooks/superoffice'
  return async (ctx, next) => {
    if (ctx.path !== path) return next()
    let answer: SuperOfficeWebhookAnswer
    if (ctx.method !== 'POST') {
      answer = webhooks.answerError(methodNotAllowed())
    } else {
      try {
        const rawBody = await rawBodyOf(ctx, webhooks.maxBodyBytes)
        answer = await webhooks.handle({ rawBody, headers: ctx.headers, url: ctx.href })
      } catch (error) {
        answer = webhooks.answerError(error)
      }
    }
    ctx.status = answer.status
    ctx.set(answer.headers as Record<string, string>)
    ctx.body = answer.body
  }
}

async function rawBodyOf(ctx: Context, limit: number): Promise<Uint8Array | string> {
  // Body parsers (@koa/bodyparser, koa-bodyparser) keep the text they parsed here.
  const request = ctx.request as { rawBody?: unknown; body?: unknown }
  if (typeof request.rawBody === 'string' || request.rawBody instanceof Uint8Array) return request.rawBody
  if (request.body !== undefined || ctx.req.readableEnded) {
    throw new SuperOfficeWebhookError(
      'raw_body_unavailable',
      'A body parser consumed the request before the SuperOffice webhook middleware. Mount ' +
        'superOfficeWebhooks() before the body parser, or use one that keeps ctx.request.rawBody.',
    )
  }
  return readRawBody(ctx.req, { limit, headers: ctx.headers })
}
