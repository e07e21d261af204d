// The admin README's snippet, run as the script a user would save it as (Node strips its types):
// it must create the webhook, check at once, and then stay up as a watchdog until SIGTERM.
import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import { startWebhookApiServer } from '@superoffice-webhooks/fixtures/webhook-api'
import { startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { expect, it } from 'vitest'

const script = fileURLToPath(new URL('./admin.ts', import.meta.url))

it('the admin snippet runs as a script: creates the webhook, checks at once, stays up until SIGTERM', async () => {
  const api = await startWebhookApiServer()
  // SuperOffice Online's stand-in in front of the Webhook API: the script finds the tenant's host
  // and gets a system-user ticket with this key.
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const online = await startSuperOfficeOnline({
    appPublicKey: publicKey,
    forward: () => ({ baseUrl: api.baseUrl, headers: { authorization: `Bearer ${api.token}` } }),
  })
  const dir = mkdtempSync(join(tmpdir(), 'admin-snippet-'))
  writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }))
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
      SUPEROFFICE_ENVIRONMENT: online.authority,
      SUPEROFFICE_TENANT: 'Cust12345',
      SUPEROFFICE_APP_TOKEN: online.applicationToken,
      SUPEROFFICE_PRIVATE_KEY_FILE: join(dir, 'key.pem'),
      SUPEROFFICE_SYSTEM_USER_TOKEN: 'Cust12345-system-user',
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
    await online.close()
    await api.close()
    rmSync(dir, { recursive: true, force: true })
    expect(code).toBe(0)
  }
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
