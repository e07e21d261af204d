import type { SuperOfficeReceiver, SuperOfficeWebhookAnswer } from '@superoffice-webhooks/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'

/**
 * Options of {@link superOfficeWebhooks}.
 *
 * @example
 * ```ts
 * app.use(superOfficeWebhooks(webhooks, { path: '/webhooks/superoffice' }))
 * ```
 */
export interface SuperOfficeExpressOptions {
  /** Where SuperOffice posts. Default `/webhooks/superoffice`. */
  path?: string
}

const RAW_BODY_FIX =
  'A body parser (express.json(), express.urlencoded(), body-parser) consumed the request before the ' +
  'SuperOffice webhook handler. Mount superOfficeWebhooks() before the parsers (app.use order), or ' +
  "give the route express.raw({ type: '*/*' }) so the exact bytes stay in req.body."

/**
 * Express middleware (Express 4 and 5) that receives SuperOffice webhooks on one path and passes
 * every other request on. It reads the raw body itself, with the size limit: mount it before
 * `express.json()`. The tenant status receiver (`createSuperOfficeTenantStatus` from
 * `@superoffice-webhooks/api`) mounts the same way on its own path.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
 * import { superOfficeWebhooks } from '@superoffice-webhooks/express'
 *
 * const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET! })
 * webhooks.on('sale.sold', (event) => console.log('sold', event.PrimaryKey))
 *
 * const app = express()
 * app.use(superOfficeWebhooks(webhooks)) // before express.json()
 * app.use(express.json())
 * app.listen(3000)
 * ```
 */
export function superOfficeWebhooks(
  receiver: SuperOfficeReceiver,
  options: SuperOfficeExpressOptions = {},
): RequestHandler {
  const path = options.path ?? '/webhooks/superoffice'
  const handler = superOfficeWebhookHandler(receiver)
  return (req, res, next) => (req.path === path ? handler(req, res, next) : next())
}

/**
 * The same without a path, for a route: `app.all('/webhooks/superoffice', superOfficeWebhookHandler(webhooks))`
 * (405 with `Allow: POST` for other methods). Handlers get the Express `Request` as
 * `context.request`; failures of 500 go to Express's error handling (`next(err)`) after the answer
 * is sent, so your error middleware can log them.
 *
 * @example
 * ```ts
 * const router = express.Router()
 * router.all('/superoffice', superOfficeWebhookHandler(webhooks))
 * app.use('/webhooks', router)
 * ```
 */
export function superOfficeWebhookHandler(receiver: SuperOfficeReceiver): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const parsed = (req as { body?: unknown }).body
    receiver
      .receive({
        method: req.method,
        headers: req.headers,
        url: req.originalUrl,
        body: {
          // express.raw() leaves the exact bytes; a JSON or form parser leaves an object, and the
          // stream is then spent.
          bytes: parsed instanceof Uint8Array || typeof parsed === 'string' ? parsed : undefined,
          node: req,
          parsed: parsed instanceof Uint8Array || typeof parsed === 'string' ? undefined : parsed,
        },
        request: req,
        rawBodyFix: RAW_BODY_FIX,
      })
      .then((answer) => answerWith(res, answer), next)
  }
}

function answerWith(res: Response, answer: SuperOfficeWebhookAnswer): void {
  res.status(answer.status)
  for (const name in answer.headers) res.setHeader(name, answer.headers[name] as string)
  res.end(JSON.stringify(answer.body))
}
