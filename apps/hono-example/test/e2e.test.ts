import { fileURLToPath } from 'node:url'
import { runExampleAppContract, startExampleApp } from '@superoffice-webhooks/test-utils/apps'
import { createTestEvent, findRuntimeBinary } from '@superoffice-webhooks/testing'
import { describe, expect, it } from 'vitest'

const cwd = fileURLToPath(new URL('..', import.meta.url))
const bun = findRuntimeBinary('bun', cwd)

runExampleAppContract({
  name: 'hono-example on Node (@hono/node-server)',
  cwd,
  entry: 'dist/node.js',
  rawUploads: true,
})
runExampleAppContract({ name: 'hono-example on Node', cwd, entry: 'dist/node.js', inbox: true })

describe('hono-example on Bun', () => {
  it('has Bun from its npm package', () => expect(bun).toBeDefined())
})
if (bun) runExampleAppContract({ name: 'hono-example on Bun', cwd, entry: 'dist/bun.js', command: bun })

describe("hono-example's Standard Schema route (zod schemas in Hono's validator)", () => {
  for (const [runtime, command] of [
    ['Node', process.execPath],
    ['Bun', bun],
  ] as const) {
    it.runIf(command)(
      `${runtime}: a forwarded event is checked by shape: 200, 400 for a body that is not one, 401 without the token`,
      async () => {
        const entry = runtime === 'Node' ? 'dist/node.js' : 'dist/bun.js'
        const app = await startExampleApp({
          command: command as string,
          args: [entry],
          cwd,
          env: { SUPEROFFICE_WEBHOOK_SECRET: 'x', INTERNAL_TOKEN: 'internal' },
        })
        try {
          const send = (body: unknown, token = 'internal') =>
            fetch(`${app.url}/internal/events`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify(body),
            })
          const event = createTestEvent('sale.sold')
          const ok = await send(event)
          expect(ok.status).toBe(200)
          await app.waitForLine(new RegExp(`^internal event=sale\\.sold id=${event.EventId}$`))
          const wrong = await send({ ...event, PrimaryKey: 'not a number' })
          expect(wrong.status).toBe(400)
          expect(await wrong.json()).toMatchObject({ ok: false, error: 'invalid_event' })
          expect((await send({ hello: 'world' })).status).toBe(400)
          expect((await send(event, 'wrong')).status).toBe(401)
        } finally {
          await app.stop()
        }
      },
    )
  }
})
