// Hono on Bun: `bun dist/bun.js` (PORT, HOST, SUPEROFFICE_WEBHOOK_SECRET).
import { app, close } from './app.js'

declare const Bun: {
  serve(options: { port: number; hostname: string; fetch(request: Request): Response | Promise<Response> }): {
    port: number
    stop(): void
  }
}

const server = Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  hostname: process.env.HOST ?? '0.0.0.0',
  fetch: app.fetch,
})
console.log(`hono-example on Bun, port ${server.port}`)
process.once('SIGTERM', () => {
  server.stop()
  void close().then(() => process.exit(0))
})
