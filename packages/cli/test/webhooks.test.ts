import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { startWebhookApiServer, type WebhookApiServer } from '@superoffice-webhooks/fixtures/webhook-api'
import { type SuperOfficeOnline, startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './helpers.js'

const secret = 'cli-receiver-secret'

/** A receiver with core's pipeline on a Node server, as the app a webhook is created for. */
async function startReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
  webhooks.on('sale.sold', () => {})
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const answer = await webhooks.handle({ rawBody: Buffer.concat(chunks), headers: req.headers, url: req.url })
      res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

const run = (args: string[], env: Record<string, string> = {}) =>
  runCli(['webhooks', ...args], { env: { SUPEROFFICE_WEBHOOK_SECRET: '', ...env } })

describe('superoffice-webhooks webhooks, against a SuperOffice Webhook API stand-in and a running receiver', () => {
  let api: WebhookApiServer
  let app: Awaited<ReturnType<typeof startReceiver>>
  let env: Record<string, string>
  beforeAll(async () => {
    api = await startWebhookApiServer({ retryDelaysMs: [5, 5] })
    app = await startReceiver()
    env = { SUPEROFFICE_API_URL: api.baseUrl, SUPEROFFICE_ACCESS_TOKEN: api.token }
  })
  afterAll(async () => {
    await app?.close()
    await api?.close()
  })

  const target = () => `${app.url}/webhooks/superoffice`

  it('create pointed at a running receiver succeeds (its test call is answered 200)', async () => {
    const { code, stdout, stderr } = await run(
      ['create', '--name', 'koa', '--url', target(), '--event', 'sale.sold,contact.created', '--secret', secret],
      env,
    )
    expect(stderr).toMatch(/created webhook 1/)
    expect(code).toBe(0)
    expect(stdout).toContain('koa Active')
    expect(stdout).not.toContain(secret)
    const list = await run(['list'], env)
    expect(list.stdout).toMatch(/ID\s+NAME\s+STATE\s+ERRORS\s+EVENTS\s+TARGET/)
    expect(list.stdout).toMatch(/1\s+koa\s+Active\s+0\s+sale\.sold,contact\.created/)
    const json = JSON.parse((await run(['get', '1', '--json'], env)).stdout)
    expect(json).toMatchObject({ WebhookId: 1, Secret: '***', State: 'Active' })
  })

  it("create with the wrong secret fails with SuperOffice's message, exit 1", async () => {
    const { code, stderr } = await run(
      ['create', '--name', 'wrong', '--url', target(), '--event', 'sale.sold', '--secret', 'not the secret'],
      env,
    )
    expect(code).toBe(1)
    expect(stderr).toMatch(
      /POST \/api\/v1\/Webhook failed with 400: Webhook test call to .* failed: 401 .*signature_invalid/,
    )
    expect(stderr).not.toContain('not the secret')
  })

  it('signal, last-error, watch --restart and restart bring a webhook back from TooManyErrors', async () => {
    // A webhook whose target refuses everything: wrong secret set after creation, as a rotation gone wrong.
    const hook = api.webhooks.get(1)
    if (!hook) throw new Error('the first test creates webhook 1')
    hook.Secret = 'rotated on SuperOffice only'
    for (let i = 0; i < 3; i++) expect((await run(['signal', 'sale.sold', String(i + 1)], env)).code).toBe(0)
    expect(hook.State).toBe('TooManyErrors')
    expect((await run(['last-error', '1'], env)).stdout).toMatch(/^401 .*signature_invalid/)
    expect((await run(['list', '--status', 'TooManyErrors', '--json'], env)).stdout).toContain('"WebhookId":1')

    hook.Secret = secret // the receiver and SuperOffice agree again
    const watched = await run(['watch', '--once', '--restart'], env)
    expect(watched.code).toBe(0)
    expect(watched.stdout).toMatch(/1 koa: TooManyErrors consecutive errors 9 -> restarted/)
    expect(watched.stdout).toMatch(/last error: 401/)
    expect(api.webhooks.get(1)?.State).toBe('Active') // saved anew by the restart
    expect((await run(['test', '1'], env)).stdout).toMatch(/^200 OK/)
    expect((await run(['restart', '1'], env)).code).toBe(0)
  })

  it('ensure is idempotent; update and delete', async () => {
    const args = ['ensure', '--name', 'deploy', '--url', target(), '--event', 'sale.sold', '--secret', secret]
    expect((await run(args, env)).stdout).toMatch(/^created: /)
    expect((await run(args, env)).stdout).toMatch(/^unchanged: /)
    const id = JSON.parse((await run([...args, '--json'], env)).stdout).webhook.WebhookId
    expect((await run(['update', String(id), '--state', 'Stopped'], env)).stdout).toContain('Stopped')
    expect((await run(['delete', String(id)], env)).code).toBe(0)
  })

  it('exit 2 without an API or token or with a bad action; exit 3 when the API cannot be reached', async () => {
    expect((await run(['list'], { SUPEROFFICE_API_URL: '', SUPEROFFICE_ACCESS_TOKEN: '' })).code).toBe(2)
    expect((await run(['list'], { ...env, SUPEROFFICE_ACCESS_TOKEN: '' })).code).toBe(2)
    expect((await run(['frobnicate'], env)).code).toBe(2)
    expect((await run(['get', 'abc'], env)).code).toBe(2)
    const down = await run(['list'], { ...env, SUPEROFFICE_API_URL: 'http://127.0.0.1:9/Cust1' })
    expect(down.code).toBe(3)
    expect((await run(['list'], { ...env, SUPEROFFICE_ACCESS_TOKEN: 'wrong' })).stderr).toMatch(/401: Unauthorized/)
  })
})

describe('superoffice-webhooks webhooks on SuperOffice Online (--tenant), against the Online stand-in', () => {
  let webhookApi: WebhookApiServer
  let online: SuperOfficeOnline
  let env: Record<string, string>
  let dir: string
  beforeAll(async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    webhookApi = await startWebhookApiServer({ retryDelaysMs: [5, 5] })
    online = await startSuperOfficeOnline({
      appPublicKey: publicKey,
      forward: () => ({ baseUrl: webhookApi.baseUrl, headers: { authorization: `Bearer ${webhookApi.token}` } }),
    })
    dir = mkdtempSync(join(tmpdir(), 'so-cli-'))
    writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }))
    env = {
      SUPEROFFICE_API_URL: '',
      SUPEROFFICE_ACCESS_TOKEN: '',
      SUPEROFFICE_TENANT: 'Cust12345',
      SUPEROFFICE_ENVIRONMENT: online.authority,
      SUPEROFFICE_APP_TOKEN: online.applicationToken,
      SUPEROFFICE_PRIVATE_KEY_FILE: join(dir, 'key.pem'),
      SUPEROFFICE_SYSTEM_USER_TOKEN: 'Cust12345-system-user',
    }
  })
  afterAll(async () => {
    await online?.close()
    await webhookApi?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('lists through the tenant host with a system-user ticket, and again after the tenant moved', async () => {
    const first = await run(['list', '--json'], env)
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toEqual([])
    online.moveTenant('Cust12345')
    const second = await run(['list', '--json'], env)
    expect(second.code).toBe(0)
    expect(online.calls.filter((c) => c.path === '/Cust12345/api/v1/Webhook').map((c) => c.scheme)).toContain(
      'SOTicket',
    )
    // Each run asks the state API first: the second went straight to the tenant's new host.
    const lists = online.calls.filter((c) => c.path === '/Cust12345/api/v1/Webhook')
    expect(lists.map((c) => c.server)).toEqual([
      `host${1 - online.hostOf('Cust12345')}`,
      `host${online.hostOf('Cust12345')}`,
    ])
  })

  it('missing credentials are exit 2 naming each; a refused system user is exit 1 without the token', async () => {
    const missing = await run(['list'], { ...env, SUPEROFFICE_APP_TOKEN: '', SUPEROFFICE_SYSTEM_USER_TOKEN: '' })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/--app-token .*--system-user-token/)
    const refused = await run(['list'], { ...env, SUPEROFFICE_SYSTEM_USER_TOKEN: 'stolen-or-wrong-token' })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/Unknown system user token/)
    expect(refused.stderr).not.toContain('stolen-or-wrong-token')
    const walking = await run(['list', '--tenant', '../Cust1'], env)
    expect(walking.code).toBe(2)
    expect(walking.stderr).toMatch(/'\.\.\/Cust1' is not a SuperOffice tenant identifier/)
    expect(walking.stderr).not.toMatch(/at assertTenant/)
    const noTenant = await run(['list'], { ...env, SUPEROFFICE_TENANT: '' })
    expect(noTenant.code).toBe(2)
    expect(noTenant.stderr).toMatch(/which tenant\?/)
  })

  it('a suspended tenant is exit 1 naming its state', async () => {
    online.setState('Cust12345', 'Suspended')
    try {
      const result = await run(['list'], env)
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/Cust12345 is Suspended, not running/)
    } finally {
      online.setState('Cust12345', 'Running')
    }
  })
})
