import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'

const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET! })

// #region readme
import { Hono } from 'hono'

const app = new Hono()
app.all('/webhooks/superoffice', (c) => webhooks.handleRequest(c.req.raw)) // no body middleware before it
// #endregion readme

export default app
