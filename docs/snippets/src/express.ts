// #region readme
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { superOfficeWebhooks } from '@superoffice-webhooks/express'
import express from 'express'

const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET! })
webhooks.on('sale.sold', (event) => console.log('sold', event.PrimaryKey))

const app = express()
app.use(superOfficeWebhooks(webhooks, { path: '/webhooks/superoffice' })) // before express.json()
app.use(express.json())
app.listen(3000)
// #endregion readme
