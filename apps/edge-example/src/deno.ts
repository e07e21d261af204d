// Deno: `deno run --allow-net --allow-env dist/deno.js` (PORT, HOST, SUPEROFFICE_WEBHOOK_SECRET).
import worker from './worker.js'

declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen(address: { port: number }): void },
    handler: (request: Request) => Promise<Response>,
  ): unknown
  env: { get(name: string): string | undefined; toObject(): Record<string, string> }
}

const env = Deno.env.toObject()
Deno.serve(
  {
    port: Number(env.PORT ?? 3000),
    hostname: env.HOST ?? '0.0.0.0',
    onListen: ({ port }) => console.log(`edge-example on Deno, port ${port}`),
  },
  (request) => worker.fetch(request, env),
)
