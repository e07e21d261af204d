import { fileURLToPath } from 'node:url'
import { type ExampleApp, startExampleApp } from '@superoffice-webhooks/adapter-contract'
import { startWebhookApiServer, type WebhookApiServer } from '@superoffice-webhooks/fixtures/webhook-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './helpers.js'

const exampleDir = fileURLToPath(new URL('../../../apps/koa-example', import.meta.url))
const secret = 'koa-example-cli-secret'

const run = (args: string[], env: Record<string, string> = {}) =>
  runCli(['webhooks', ...args], { env: { SUPEROFFICE_WEBHOOK_SECRET: '', ...env } })

describe('superoffice-webhooks webhooks, against a SuperOffice Webhook API stand-in and the Koa example', () => {
  let api: WebhookApiServer
  let app: ExampleApp
  let env: Record<string, string>
  beforeAll(async () => {
    api = await startWebhookApiServer({ retryDelaysMs: [5, 5] })
    app = await startExampleApp({
      command: process.execPath,
      args: ['dist/server.js'],
      cwd: exampleDir,
      env: { SUPEROFFICE_WEBHOOK_SECRET: secret },
    })
    env = { SUPEROFFICE_API_URL: api.baseUrl, SUPEROFFICE_ACCESS_TOKEN: api.token }
  })
  afterAll(async () => {
    await app?.stop()
    await api?.close()
  })

  const target = () => `${app.url}/webhooks/superoffice`

  it('create pointed at the running Koa example succeeds (its test call is answered 200)', async () => {
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
  }, 30_000)
})
