import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSuperOfficeWebhooks, signPayload } from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, runCli } from './helpers.js'

const secret = 'cli-secret'

const run = (args: string[], input?: string | Buffer, env: Record<string, string> = {}) =>
  runCli(args, { ...(input === undefined ? {} : { input }), env })

let server: Server
let url: string
const received: { body: Buffer; headers: Record<string, unknown> }[] = []

beforeAll(async () => {
  const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
  webhooks.onAny(() => {})
  server = createServer(async (req, res) => {
    const body = Buffer.from(await readRawBody(req, { limit: webhooks.maxBodyBytes }))
    received.push({ body, headers: req.headers })
    const answer = await webhooks.handle({ rawBody: body, headers: req.headers })
    res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/superoffice`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('superoffice-webhooks CLI (as a process)', () => {
  it('events: lists every documented event, --json as an array', async () => {
    const plain = await run(['events'])
    expect(plain.code).toBe(0)
    expect(plain.stdout.split('\n')).toContain('sale.sold')
    const json = await run(['events', '--json'])
    expect(JSON.parse(json.stdout)).toContain('quote.approved')
  })

  it('sign: prints the signature of standard input, byte for byte', async () => {
    const body = '{"Event":"sale.sold"}\n'
    const { code, stdout } = await run(['sign', '--secret', secret], body)
    expect(code).toBe(0)
    expect(stdout.trim()).toBe(signPayload(body, secret))
  })

  it('sign: takes the secret from SUPEROFFICE_WEBHOOK_SECRET, and exits 2 without one', async () => {
    const { stdout } = await run(['sign'], '{}', { SUPEROFFICE_WEBHOOK_SECRET: 'env-secret' })
    expect(stdout.trim()).toBe(signPayload('{}', 'env-secret'))
    const missing = await run(['sign'], '{}', { SUPEROFFICE_WEBHOOK_SECRET: '' })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/no secret/)
  })

  it('verify: exit 0 when it matches, 1 with the reason when it does not', async () => {
    const body = '{"Event":"sale.sold"}'
    const good = await run(['verify', '--secret', secret, '--signature', signPayload(body, secret)], body)
    expect(good.code).toBe(0)
    expect(good.stdout).toMatch(/^valid/)
    const newline = await run(['verify', '--secret', secret, '--signature', signPayload(body, secret)], `${body}\n`)
    expect(newline.code).toBe(1)
    expect(newline.stdout).toMatch(/without the trailing newline/)
    const reserialised = await run(
      ['verify', '--secret', secret, '--signature', signPayload(body, secret), '--json'],
      '{ "Event": "sale.sold" }',
    )
    expect(JSON.parse(reserialised.stdout)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/re-serialised/),
    })
    const prefixed = await run(['verify', '--secret', secret, '--signature', `sha256=${'a'.repeat(64)}`], body)
    expect(prefixed.stdout).toMatch(/no 'sha256=' prefix/)
    const wrong = await run(['verify', '--secret', 'other', '--signature', signPayload(body, secret)], body)
    expect(wrong.stdout).toMatch(/other bytes or with another secret/)
  })

  it('send --event: posts a signed event and prints the answer', async () => {
    const { code, stdout } = await run(['send', url, '--event', 'sale.sold', '--secret', secret, '--tenant', 'Cust42'])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^200 sale\.sold id=\S+ \d+ms \{"ok":true\}/)
    const last = received.at(-1)
    expect(JSON.parse(last?.body.toString() ?? '{}')).toMatchObject({ Event: 'sale.sold', ContextIdentifier: 'Cust42' })
    expect(last?.headers['x-superoffice-event']).toBe('sale.sold')
  })

  it('send --repeat --concurrency --json: a summary scripts can read', async () => {
    const { code, stdout } = await run([
      'send',
      url,
      '--event',
      'contact.created',
      '--secret',
      secret,
      '--repeat',
      '30',
      '--concurrency',
      '6',
      '--json',
    ])
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report).toMatchObject({ sent: 30, ok: true, byStatus: { '200': 30 } })
    expect(new Set(report.results.map((r: { eventId: string }) => r.eventId)).size).toBe(30)
  })

  it('send: exit 1 when an answer is not 200', async () => {
    const { code, stdout } = await run(['send', url, '--event', 'sale.sold', '--secret', 'wrong'])
    expect(code).toBe(1)
    expect(stdout).toMatch(/^401 .*signature_invalid/)
  })

  it('send --file: posts the saved body byte for byte, the same bytes on every repeat', async () => {
    const bytes = Buffer.from(
      '{\r\n  "EventId": "f-1", "Event": "acme.saved", "PrimaryKey": 1,\r\n  "Timestamp": "2026-01-01T00:00:00Z", "Name": "Ærø" }',
    )
    const file = join(tmpdir(), `so-cli-${process.pid}.json`)
    writeFileSync(file, bytes)
    received.length = 0
    const { code, stdout } = await run(['send', url, '--file', file, '--secret', secret, '--repeat', '2', '--json'])
    expect(code).toBe(0)
    expect(received.map((r) => r.body.equals(bytes))).toEqual([true, true])
    expect(JSON.parse(stdout).results.map((r: { body: unknown }) => r.body)).toContainEqual({
      ok: true,
      duplicate: true,
    })
  })

  it('send: exit 3 with a clear message when the URL cannot be reached', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo
        s.close(() => resolve(port))
      })
    })
    const { code, stderr } = await run([
      'send',
      `http://127.0.0.1:${closed}/x`,
      '--event',
      'sale.sold',
      '--secret',
      secret,
    ])
    expect(code).toBe(3)
    expect(stderr).toMatch(/cannot reach .*ECONNREFUSED/)
  })

  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['send'], /needs the URL/],
    [['send', 'not a url', '--event', 'sale.sold'], /is not a URL/],
    [['send', 'http://x/', '--event', 'sale.sold', '--file', 'f'], /exactly one of --event/],
    [['send', 'http://x/', '--event', 'sale.sold', '--repeat', '0'], /--repeat must be a whole number/],
    [['send', 'http://x/', '--event', 'sale.sold', '--key', 'abc'], /--key must be an integer/],
    [['send', 'http://x/', '--file', '/does/not/exist.json'], /cannot read .*ENOENT/],
    [['verify', '--secret', 's'], /needs --signature/],
    [['send', 'http://x/', '--evnt', 'sale.sold'], /Unknown option '--evnt'/],
  ])('exit 2 with a clear message for bad arguments: %j', async (args, message) => {
    const { code, stderr } = await run(args)
    expect(code).toBe(2)
    expect(stderr).toMatch(message)
    expect(stderr).toMatch(/--help/)
  })

  it('--help and --version (the version is the package.json one)', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    expect((await run(['--help'])).stdout).toMatch(/Usage:/)
    expect((await run(['--version'])).stdout.trim()).toBe(version)
    expect(await new Promise((resolve) => execFile(process.execPath, [cli], (error) => resolve(error?.code)))).toBe(2)
  })

  it('colours follow FORCE_COLOR and NO_COLOR per stream, not the TTY of stdout', async () => {
    const forced = await run(['sign', '--secret', secret], '{}', { NO_COLOR: '', FORCE_COLOR: '1' })
    expect(forced.stdout).not.toContain('\u001b[') // a signature is plain data
    const usage = await run(['nope'], '', { NO_COLOR: '', FORCE_COLOR: '1' })
    expect(usage.stderr).toContain('\u001b[31merror')
    const plain = await run(['nope'], '', { NO_COLOR: '1' })
    expect(plain.stderr).not.toContain('\u001b[')
    const flag = await run(['nope', '--no-color'], '', { NO_COLOR: '', FORCE_COLOR: '1' })
    expect(flag.stderr).not.toContain('\u001b[')
  })
})
