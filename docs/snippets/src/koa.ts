// #region readme
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { superOfficeWebhooks } from '@superoffice-webhooks/koa'
import Koa from 'koa'

const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET! })
webhooks.on('sale.sold', (event) => console.log('sold', event.PrimaryKey))

const app = new Koa()
app.use(superOfficeWebhooks(webhooks, { path: '/webhooks/superoffice' })) // before any body parser
app.listen(3000)
// #endregion readme
