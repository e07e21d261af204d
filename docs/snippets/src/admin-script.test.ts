// The admin README's snippet, run as the script a user would save it as (Node strips its types):
// it must create the webhook, check at once, and then stay up as a watchdog until SIGTERM.
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createSuperOfficeWebhooks, readRawBody } from '@superoffice-webhooks/core'
import { startWebhookApiServer } from '@superoffice-webhooks/fixtures/webhook-api'
import { expect, it } from 'vitest'

const script = fileURLToPath(new URL('./admin.ts', import.meta.url))

it('the admin snippet runs as a script: creates the webhook, checks at once, stays up until SIGTERM', async () => {
  const api = await startWebhookApiServer()
  const secret = 'snippet-admin-secret'
  const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
  const receiver = createServer(async (req, res) => {
    const answer = await webhooks.handle({ rawBody: await readRawBody(req, { limit: 1 << 20 }), headers: req.headers })
    res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      SUPEROFFICE_API_URL: api.baseUrl,
      SUPEROFFICE_ACCESS_TOKEN: api.token,
      SUPEROFFICE_WEBHOOK_SECRET: secret,
      PUBLIC_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/superoffice`,
    },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c))
  let exit: number | null | undefined
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exit = code
      resolve(code)
    }),
  )
  try {
    for (let i = 0; i < 600 && !/created 1/.test(stdout) && exit === undefined; i++) await sleep(50)
    expect(stdout, stderr).toMatch(/^created 1$/m)
    // ensureWebhook made two calls (list, create); the watchdog's first check at once is the third.
    for (let i = 0; i < 600 && api.calls < 3 && exit === undefined; i++) await sleep(50)
    expect(api.calls, 'the first check runs at once').toBeGreaterThanOrEqual(3)
    await sleep(1500)
    expect(exit, `still watching (stderr: ${stderr})`).toBeUndefined()
  } finally {
    child.kill('SIGTERM')
    const code = await exited
    receiver.close()
    await api.close()
    expect(code).toBe(0)
  }
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
