// Hono on Node: `node dist/node.js` (PORT, HOST, SUPEROFFICE_WEBHOOK_SECRET).
import { serve } from '@hono/node-server'
import { app, close } from './app.js'

const server = serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: process.env.HOST ?? '0.0.0.0' },
  (info) => console.log(`hono-example on Node, port ${info.port}`),
)
process.once('SIGTERM', () => {
  server.close()
  void close().then(() => process.exit(0))
})
