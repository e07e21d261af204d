import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

// The built example apps, on this Node (20): Koa (ESM), Nest 11 (CommonJS, loading
// @superoffice-webhooks/nestjs's CJS build), and the Nitro 3 and Nuxt 4 production servers.
for (const [name, entry] of [
  ['koa-example', 'apps/koa-example/dist/server.js'],
  ['nestjs-example', 'apps/nestjs-example/dist/main.js'],
  ['nitro-example', 'apps/nitro-example/.output/server/index.mjs'],
  ['nuxt-example', 'apps/nuxt-example/.output/server/index.mjs'],
]) {
  test(`${name} serves a signed event on Node ${process.versions.node}`, async () => {
    const port = await freePort()
    const secret = 'smoke-secret'
    const child = spawn(process.execPath, [join(root, entry)], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        SUPEROFFICE_WEBHOOK_SECRET: secret,
        NUXT_SUPEROFFICE_WEBHOOKS_SECRET: secret, // the Nuxt example's module reads its own variable
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    try {
      const url = `http://127.0.0.1:${port}`
      for (let i = 0; ; i++) {
        try {
          if ((await fetch(`${url}/healthz`)).ok) break
        } catch {}
        assert.ok(i < 150, `${name} did not start`)
        await new Promise((r) => setTimeout(r, 100))
      }
      const event = createTestEvent('sale.sold')
      const { body, headers } = signedPayload(event, { secret })
      const response = await fetch(`${url}/webhooks/superoffice`, { method: 'POST', body, headers })
      assert.equal(response.status, 200)
      for (let i = 0; i < 50 && !out.includes(event.EventId); i++) await new Promise((r) => setTimeout(r, 20))
      assert.match(
        out,
        new RegExp(`superoffice event=sale.sold key=${event.PrimaryKey} tenant=Cust12345 id=${event.EventId}`),
      )
    } finally {
      child.kill('SIGTERM')
    }
  })
}
