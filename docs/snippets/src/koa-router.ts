import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { superOfficeWebhookHandler } from '@superoffice-webhooks/koa'
import Koa, { type Context } from 'koa'

declare const Router: new () => {
  all(path: string, handler: Koa.Middleware): unknown
  routes(): Koa.Middleware
}
const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET! })

// #region readme
// With @koa/router: the path-less handler (all(): other methods get 405 with Allow: POST).
const router = new Router()
router.all('/webhooks/superoffice', superOfficeWebhookHandler(webhooks))

const app = new Koa()
app.on('error', (error, ctx) => console.error('koa error', ctx?.path, error)) // 500s and late failures land here too
app.use(router.routes())

webhooks.on('sale.sold', (event, context) => {
  const ctx = context.request as Context // the Koa context of the delivery
  console.log(ctx.state.superOffice, event.PrimaryKey)
})
// #endregion readme
