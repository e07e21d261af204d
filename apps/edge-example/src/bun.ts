// Bun: `bun dist/bun.js` (PORT, HOST, SUPEROFFICE_WEBHOOK_SECRET).
import worker from './worker.js'

declare const Bun: {
  serve(options: { port: number; hostname: string; fetch(request: Request): Promise<Response> }): { port: number }
}
declare const process: { env: Record<string, string | undefined> }

const server = Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  hostname: process.env.HOST ?? '0.0.0.0',
  fetch: (request) => worker.fetch(request, process.env),
})
console.log(`edge-example on Bun, port ${server.port}`)
