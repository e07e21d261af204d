// Issue 20: the command as a service, against failing and hostile peers, and its conventions.
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSuperOfficeWebhookClient } from '@superoffice-webhooks/admin'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import { startWebhookApiServer } from '@superoffice-webhooks/fixtures/webhook-api'
import { afterEach, describe, expect, it } from 'vitest'
import { cli, runCli } from './helpers.js'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A receiver whose handler fails while `state.failing`. */
async function receiver(secret: string) {
  const state = { failing: false }
  const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
  webhooks.onAny(() => {
    if (state.failing) throw new Error('down')
  })
  const url = await listen(async (req, res) => {
    const answer = await webhooks.handle({ rawBody: await readRawBody(req, { limit: 1 << 20 }), headers: req.headers })
    res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
  })
  return { state, url: `${url}/` }
}

const until = async (check: () => boolean, what: string, ms = 30_000) => {
  for (let waited = 0; waited < ms && !check(); waited += 50) await new Promise((r) => setTimeout(r, 50))
  expect(check(), what).toBe(true)
}

describe('3. webhooks watch runs until SIGINT/SIGTERM', () => {
  it('several intervals: restarts a webhook twice, survives an API outage in between, exits 0 on SIGTERM', async () => {
    const api = await startWebhookApiServer({ retryDelaysMs: [5, 5] })
    const target = await receiver('s3cret')
    try {
      const env = { SUPEROFFICE_API_URL: api.baseUrl, SUPEROFFICE_ACCESS_TOKEN: api.token, NO_COLOR: '1' }
      // Set-up through the library (one process for the command under test keeps this quick on a
      // busy machine, where every extra process start costs seconds).
      const client = createSuperOfficeWebhookClient({ baseUrl: api.baseUrl, accessToken: api.token })
      await client.create({ Name: 'svc', Events: ['sale.sold'], TargetUrl: target.url, Secret: 's3cret' })
      const state = () => api.webhooks.get(1)?.State // an update stores a new object: read it afresh
      const disable = async () => {
        target.state.failing = true
        for (let i = 0; i < 3; i++) await client.signal('sale.sold', i + 1)
        target.state.failing = false
        // Not asserted here: the watch may already have restarted it. The restarts counted below prove it.
      }

      const child = spawn(process.execPath, [cli, 'webhooks', 'watch', '--interval', '0.2', '--restart'], {
        env: { ...process.env, ...env },
      })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c))
      child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c))
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
      let exitCode: number | null | undefined
      void exited.then((code) => (exitCode = code))
      try {
        await until(() => stderr.includes('watching every 0.2 s'), 'the banner')
        await disable()
        await until(() => (stdout.match(/-> restarted/g) ?? []).length === 1, 'the first restart')
        api.failNext(503, 6) // the command's client tries each call 3 times: two checks fail
        await until(() => (stderr.match(/^error: /gm) ?? []).length === 2, 'the outage, one line per failed check')
        expect(stderr).toMatch(
          /error: GET \/api\/v1\/Webhook failed with 503: Service temporarily unavailable \(1 failed check in a row; next in \d+ s\)/,
        )
        await disable()
        await until(() => (stdout.match(/-> restarted/g) ?? []).length === 2, 'the second restart, after the outage')
        expect(exitCode).toBeUndefined() // still running after all that
        expect(state()).toBe('Active')
      } finally {
        child.kill('SIGTERM')
      }
      expect(await exited).toBe(0)
      expect(stderr).not.toContain(api.token)
    } finally {
      await api.close()
    }
  }, 180_000)

  it('a 429 that asks for no wait: list settles after its retries; watch stops at once on Ctrl+C mid-wait', async () => {
    let calls = 0
    const zero = await listen((_req, res) => {
      calls++
      res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' }).end('{"Error":"slow down"}')
    })
    const env = { SUPEROFFICE_API_URL: `${zero}/Cust1`, SUPEROFFICE_ACCESS_TOKEN: 't0ken-abc', NO_COLOR: '1' }
    const listed = await runCli(['webhooks', 'list'], { env })
    expect(listed.code).toBe(1)
    expect(listed.stderr.trim().split('\n')).toEqual(['error: GET /api/v1/Webhook failed with 429: slow down'])
    expect(calls).toBe(3) // the first try and the command's two retries

    // A server that paces for 30 s: the watch is waiting inside the client when Ctrl+C comes.
    calls = 0
    const paced = await listen((_req, res) => {
      calls++
      res.writeHead(429, { 'retry-after': '30' }).end()
    })
    const child = spawn(process.execPath, [cli, 'webhooks', 'watch', '--interval', '1'], {
      env: { ...process.env, ...env, SUPEROFFICE_API_URL: `${paced}/Cust1` },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      await until(() => calls === 1, 'the first check, throttled', 120_000)
      child.kill('SIGINT')
      // Well inside the 30 s the server asked for: the wait was cut short.
      const code = await Promise.race([
        exited,
        new Promise<'still running'>((r) => setTimeout(r, 20_000, 'still running')),
      ])
      expect(code).toBe(0)
      expect(calls).toBe(1)
      expect(stderr).not.toMatch(/error/)
    } finally {
      child.kill('SIGKILL')
    }
  }, 180_000)

  it('watch --once with the API down exits 3, as documented; a refusal exits 1', async () => {
    const down = await runCli(['webhooks', 'watch', '--once'], {
      env: { SUPEROFFICE_API_URL: 'http://127.0.0.1:9/Cust1', SUPEROFFICE_ACCESS_TOKEN: 't' },
    })
    expect(down.code).toBe(3)
    expect(down.stderr.trim().split('\n')).toHaveLength(1)
    const api = await startWebhookApiServer()
    try {
      const refused = await runCli(['webhooks', 'watch', '--once'], {
        env: { SUPEROFFICE_API_URL: api.baseUrl, SUPEROFFICE_ACCESS_TOKEN: 'wrong-token' },
      })
      expect(refused.code).toBe(1)
    } finally {
      await api.close()
    }
  })
})

describe('7. the command prints what a hostile API sends safely', () => {
  it('an echoed token is redacted, control characters are escaped, one line per error', async () => {
    const token = 'tok-echo-123456'
    const api = await listen((req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          Error: `denied for ${req.headers.authorization}\u001b]0;pwned\u0007\u001b[2J\nsecond line`,
        }),
      )
    })
    const { code, stderr } = await runCli(['webhooks', 'list'], {
      env: { SUPEROFFICE_API_URL: `${api}/Cust1`, SUPEROFFICE_ACCESS_TOKEN: token },
    })
    expect(code).toBe(1)
    expect(stderr).not.toContain(token)
    expect(stderr).toContain('[redacted]')
    expect(stderr).not.toContain('\u001b')
    expect(stderr).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\nsecond line')
    expect(stderr.trim().split('\n')).toHaveLength(1)
  })

  it('--json redacts custom header values as it redacts the secret', async () => {
    const api = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          WebhookId: 4,
          Name: 'h',
          State: 'Active',
          Secret: 'the-secret',
          Headers: { 'X-Api-Key': 'receiver-api-key-42' },
        }),
      )
    })
    const { code, stdout } = await runCli(['webhooks', 'get', '4', '--json'], {
      env: { SUPEROFFICE_API_URL: `${api}/Cust1`, SUPEROFFICE_ACCESS_TOKEN: 't' },
    })
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ Secret: '***', Headers: { 'X-Api-Key': '***' } })
    expect(stdout).not.toContain('receiver-api-key-42')
  })

  it('a cross-origin redirect is one line naming the target, exit 1', async () => {
    const { code, stderr } = await runCli(['webhooks', 'list'], {
      env: {
        SUPEROFFICE_API_URL: `${await listen((_req, res) => res.writeHead(302, { location: 'http://127.0.0.2:9/x' }).end())}/Cust1`,
        SUPEROFFICE_ACCESS_TOKEN: 't',
      },
    })
    expect(code).toBe(1)
    expect(stderr).toMatch(/redirected to another origin \(http:\/\/127\.0\.0\.2:9\)/)
  })
})

describe('12. CLI conventions', () => {
  for (const args of [
    ['send', '--help'],
    ['simulate', '-h'],
    ['sign', '--help'],
    ['verify', '--help'],
    ['events', '--help'],
    ['inbox', '--help'],
    ['inbox', 'failed', '--help'],
    ['webhooks', '--help'],
    ['webhooks', 'watch', '--help'],
    ['webhooks', 'create', '--help'],
  ]) {
    it(`${args.join(' ')} prints its usage and exits 0`, async () => {
      const { code, stdout } = await runCli(args)
      expect(code).toBe(0)
      expect(stdout).toMatch(new RegExp(`^Usage:\\n  superoffice-webhooks ${args[0]}`))
      if (args[1] === 'watch') {
        expect(stdout).toContain('webhooks watch')
        expect(stdout).not.toContain('webhooks list')
      }
    })
  }

  it('send --event sale.sould warns with the closest known name, and still sends', async () => {
    const url = await listen((_req, res) => res.writeHead(200).end('{}'))
    const { code, stderr } = await runCli(['send', url, '--event', 'sale.sould'])
    expect(code).toBe(0)
    expect(stderr).toMatch(/'sale\.sould' is not a documented SuperOffice event.*Did you mean 'sale\.sold'\?/)
    const quiet = await runCli(['send', url, '--event', 'list.category.created'])
    expect(quiet.stderr).not.toMatch(/warning/)
  })
})

describe('9. simulate', () => {
  it('--rate 1e7 for 2s stays within a bounded heap (events are made as they are sent)', async () => {
    const url = await listen((_req, res) => res.writeHead(200).end('{}'))
    const { code, stdout } = await runCli(['simulate', url, '--rate', '1e7', '--duration', '2s', '--json'], {
      env: { NODE_OPTIONS: '--max-old-space-size=96' },
    })
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.events).toBeGreaterThan(0)
    expect(report.delivered).toBe(report.events)
  })

  it('the summary agrees with the JSON: cut-short events, failed statuses, when the webhook was disabled', async () => {
    const url = await listen((_req, res) => res.writeHead(500).end('{}'))
    const args = ['simulate', url, '--rate', '50', '--events', '7', '--threads', '7']
    const json = await runCli([...args, '--json'])
    const report = JSON.parse(json.stdout)
    expect(report.state).toBe('TooManyErrors')
    // 7 events failing at once: 9 failed attempts disable the webhook during the second round.
    for (const outcome of report.outcomes) {
      expect(outcome.outcome === 'discarded').toBe(outcome.statuses.length === 3)
      expect(outcome.outcome === 'cut-short').toBe(outcome.statuses.length > 0 && outcome.statuses.length < 3)
    }
    expect(report.discarded + report.cutShort + report.notSent + report.delivered).toBe(7)
    expect(report.failedStatuses).toEqual({ 500: report.failedAttempts })
    expect(report.disabledAtMs).toBeGreaterThan(0)

    const text = await runCli(args)
    expect(text.code).toBe(1)
    expect(text.stdout).toMatch(/attempts {3}\d+ \(\d+ failed: 500 ×\d+\)/)
    expect(text.stdout).toMatch(/webhook {4}TooManyErrors after \d+\.\d s/)
    if (report.cutShort > 0) expect(text.stdout).toMatch(/cut short {2}\d+/)
  })
})
