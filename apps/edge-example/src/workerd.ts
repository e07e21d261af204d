// Cloudflare's runtime, locally: workerd through Miniflare runs dist/worker.js as Workers would
// (no node:crypto, no process), with SUPEROFFICE_WEBHOOK_SECRET as a binding. Deploy the same file
// with wrangler (`main = "dist/worker.js"`). `node dist/workerd.js` (PORT, HOST).
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Miniflare } from 'miniflare'

const script = fileURLToPath(new URL('./worker.js', import.meta.url))
const mf = new Miniflare({
  modules: true,
  scriptPath: script,
  // Paths are taken relative to this root: workerd refuses to leave its starting directory, so a
  // start from elsewhere (`node apps/edge-example/dist/workerd.js`, or from /) still finds it.
  modulesRoot: dirname(script),
  compatibilityDate: '2026-07-01',
  bindings: { SUPEROFFICE_WEBHOOK_SECRET: process.env.SUPEROFFICE_WEBHOOK_SECRET ?? '' },
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 8787),
})
const url = await mf.ready
console.log(`edge-example on workerd at ${url.origin}`)
const stop = () => void mf.dispose().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
