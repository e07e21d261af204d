// The CLI over every tenant (issue 30): webhooks ensure|list|watch --all-tenants and reconcile, as
// processes against the Online stand-in (each tenant's Webhook API its own stand-in), a Redis for
// the secrets and the inbox, and a receiver that verifies each tenant with its own secret.
import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks, secretsFromStore } from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import { startWebhookApiServer, type WebhookApiServer } from '@superoffice-webhooks/fixtures/webhook-api'
import { createRedisSecretStore } from '@superoffice-webhooks/redis'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { type SuperOfficeOnline, startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, runCli } from './helpers.js'

const TENANTS = ['CustA', 'CustB']

describe.runIf(hasRedis)('superoffice-webhooks over every tenant', () => {
  let redis: TestRedisServer
  let online: SuperOfficeOnline
  let apis: Map<string, WebhookApiServer>
  let receiver: Server
  let target: string
  let dir: string
  let env: Record<string, string>
  let client: Redis
  beforeAll(async () => {
    redis = await startRedisServer()
    client = new Redis(redis.url)
    apis = new Map()
    for (const tenant of TENANTS) apis.set(tenant, await startWebhookApiServer({ tenant, retryDelaysMs: [5, 5] }))
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    online = await startSuperOfficeOnline({
      appPublicKey: publicKey,
      tenants: Object.fromEntries(TENANTS.map((t) => [t, {}])),
      forward: (tenant) => {
        const api = apis.get(tenant)
        return api && { baseUrl: api.baseUrl, headers: { authorization: `Bearer ${api.token}` } }
      },
    })
    // The app's receiver: each tenant verified with its own secret, from the store the CLI writes.
    const webhooks = createSuperOfficeWebhooks({
      secret: secretsFromStore(createRedisSecretStore(client)),
      logger: false,
    })
    webhooks.onAny(() => {})
    receiver = createServer(async (req, res) => {
      const answer = await webhooks.handle({
        rawBody: await readRawBody(req, { limit: 1 << 20 }),
        headers: req.headers,
      })
      res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`
    dir = mkdtempSync(join(tmpdir(), 'fleet-cli-'))
    writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }))
    writeFileSync(join(dir, 'tokens.json'), JSON.stringify({ CustA: 'CustA-system-user', CustB: 'CustB-system-user' }))
    env = {
      SUPEROFFICE_ENVIRONMENT: online.authority,
      SUPEROFFICE_APP_TOKEN: online.applicationToken,
      SUPEROFFICE_PRIVATE_KEY_FILE: join(dir, 'key.pem'),
      SUPEROFFICE_SYSTEM_USER_TOKENS: '',
      SUPEROFFICE_SECRETS_URL: redis.url,
    }
  })
  afterAll(async () => {
    receiver?.closeAllConnections()
    await new Promise((resolve) => receiver?.close(resolve))
    client?.disconnect()
    await online?.close()
    for (const api of apis?.values() ?? []) await api.close()
    await redis?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })
  const tokens = () => ['--system-user-tokens', join(dir, 'tokens.json')]
  const hookOf = (tenant: string) => [...(apis.get(tenant)?.webhooks.values() ?? [])].find((h) => h.Name === 'crm')

  it('webhooks ensure --all-tenants: each tenant its webhook and its own secret in the store; no secret printed; list shows them', async () => {
    const ensure = await runCli(
      [
        'webhooks',
        'ensure',
        '--all-tenants',
        ...tokens(),
        '--name',
        'crm',
        '--url',
        target,
        '--event',
        'sale.sold',
        '--json',
      ],
      { env },
    )
    expect(ensure.stderr).toBe('')
    expect(ensure.code).toBe(0)
    const results = ensure.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(results.map((r) => [r.tenant, r.action]).sort()).toEqual([
      ['CustA', 'created'],
      ['CustB', 'created'],
    ])
    const store = createRedisSecretStore(client)
    const [a, b] = [(await store.get('CustA'))[0], (await store.get('CustB'))[0]]
    expect(a).not.toBe(b)
    expect(hookOf('CustA')?.Secret).toBe(a)
    expect(ensure.stdout).not.toContain(a as string)
    const plain = await runCli(
      ['webhooks', 'ensure', '--all-tenants', ...tokens(), '--name', 'crm', '--url', target, '--event', 'sale.sold'],
      {
        env,
      },
    )
    expect(plain.stdout).toMatch(/CustA: unchanged webhook 1/)
    const list = await runCli(['webhooks', 'list', '--all-tenants', ...tokens(), '--json'], { env })
    const listed = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(listed.map((l) => [l.tenant, l.webhooks.length, l.webhooks[0].Secret])).toEqual([
      ['CustA', 1, '***'],
      ['CustB', 1, '***'],
    ])
  })

  it('a suspended tenant: ensure reports it failed, does the other, exits 1', async () => {
    online.setState('CustB', 'Suspended')
    try {
      const run = await runCli(
        [
          'webhooks',
          'ensure',
          '--all-tenants',
          ...tokens(),
          '--name',
          'crm',
          '--url',
          target,
          '--event',
          'sale.sold',
          '--rotate',
        ],
        { env },
      )
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(/CustA: updated webhook 1 \(new secret\)/)
      expect(run.stdout).toMatch(/CustB: failed .*Suspended/)
    } finally {
      online.setState('CustB', 'Running')
    }
  })

  it('bad input: no tokens, no secret store, an action that takes no --all-tenants: exit 2 with what to pass', async () => {
    const none = await runCli(['webhooks', 'ensure', '--all-tenants', '--name', 'x', '--url', target, '--event', 'e'], {
      env,
    })
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/--system-user-tokens FILE/)
    const store = await runCli(
      ['webhooks', 'ensure', '--all-tenants', ...tokens(), '--name', 'x', '--url', target, '--event', 'e'],
      {
        env: { ...env, SUPEROFFICE_SECRETS_URL: '' },
      },
    )
    expect(store.code).toBe(2)
    expect(store.stderr).toMatch(/--secrets redis:\/\/… or postgres:\/\//)
    const wrong = await runCli(['webhooks', 'delete', '1', '--all-tenants', ...tokens()], { env })
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toMatch(/works with list, ensure and watch/)
  })

  it('webhooks watch --all-tenants runs for several rounds: restarts a stopped webhook in any tenant, says the window to recover, stops on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [cli, 'webhooks', 'watch', '--all-tenants', ...tokens(), '--name', 'crm', '--interval', '0.3'],
      {
        env: { ...process.env, NO_COLOR: '1', ...env },
      },
    )
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const until = async (check: () => boolean, what: string) => {
      for (let waited = 0; waited < 60_000 && !check(); waited += 50) await new Promise((r) => setTimeout(r, 50))
      expect(check(), what).toBe(true)
    }
    try {
      const calls = () => online.calls.filter((c) => c.path.endsWith('/api/v1/Webhook')).length
      const from = calls()
      await until(() => calls() >= from + 4, 'two rounds over both tenants')
      const stop = (tenant: string) => {
        const hook = hookOf(tenant)
        if (hook) hook.State = 'TooManyErrors'
      }
      stop('CustB')
      await until(() => /CustB: 1 crm TooManyErrors -> restarted/.test(stdout), 'CustB restarted')
      expect(stdout).toMatch(/recover it: superoffice-webhooks reconcile --tenant CustB --since \S+ --until \S+/)
      stop('CustA')
      await until(() => /CustA: 1 crm TooManyErrors -> restarted/.test(stdout), 'CustA restarted')
      expect(hookOf('CustA')?.State).toBe('Active')
      child.kill('SIGINT')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('reconcile --tenant puts the rows changed in the window into the inbox, as jobs marked reconciled; run again, nothing new', async () => {
    const since = new Date(Date.now() - 10 * 60_000)
    for (let id = 1; id <= 12; id++)
      online.put('CustA', 'Sale', id, { SaleId: id }, { updatedAt: new Date(Date.now() - id * 30_000) })
    online.put('CustA', 'Sale', 99, { SaleId: 99 }, { updatedAt: new Date(Date.now() - 60 * 60_000) }) // before the window
    const args = [
      'reconcile',
      '--tenant',
      'CustA',
      '--since',
      since.toISOString(),
      '--entities',
      'sale',
      ...tokens(),
      '--redis',
      redis.url,
    ]
    const first = await runCli([...args, '--json', '--queue', 'recovered'], { env })
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({
      tenant: 'CustA',
      total: 12,
      entities: { sale: { rows: 12, queued: 12 } },
    })
    // The key in a variable with its line breaks escaped, as many hosts store it: read the way
    // the library reads it (superOfficeApiOptionsFromEnv).
    const escaped = readFileSync(join(dir, 'key.pem'), 'utf8').replace(/\n/g, '\\n')
    const again = await runCli([...args, '--queue', 'recovered'], {
      env: { ...env, SUPEROFFICE_PRIVATE_KEY_FILE: '', SUPEROFFICE_PRIVATE_KEY: escaped },
    })
    expect(again.stderr).toBe('')
    expect(again.stdout).toMatch(/sale: 12 rows changed/)
    const inbox = createBullMQInbox({ connection: redis.url, queueName: 'recovered', logger: false })
    try {
      expect((await inbox.stats()).waiting).toBe(12) // the second run's jobs had the same ids
      const jobs = (await inbox.queue?.getJobs(['waiting'], 0, 20)) ?? []
      expect(jobs.every((job) => job.data.reconciled?.since === since.toISOString())).toBe(true)
    } finally {
      await inbox.close()
    }
    const bad = await runCli(['reconcile', '--tenant', 'CustA', '--since', 'last tuesday', '--redis', redis.url], {
      env,
    })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--since must be a date/)
  })
})
