import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createRedisDedupeStore } from '@superoffice-webhooks/redis'
import { Redis } from 'ioredis'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const hasRedis = spawnSync('redis-server', ['--version']).status === 0
if (!hasRedis && process.env.CI) throw new Error('redis-server is missing; .ci/run installs it')

test('the superoffice-webhooks CLI runs on this Node', () => {
  const cli = join(root, 'packages/cli/dist/cli.js')
  const events = spawnSync(process.execPath, [cli, 'events', '--json'], { encoding: 'utf8' })
  assert.equal(events.status, 0)
  assert.ok(JSON.parse(events.stdout).includes('sale.sold'))
  const sign = spawnSync(process.execPath, [cli, 'sign', '--secret', 'k'], { input: '{}', encoding: 'utf8' })
  assert.equal(sign.status, 0)
  assert.match(sign.stdout.trim(), /^[A-Za-z0-9+/]{43}=$/)
})

test('the Redis dedupe store (ioredis) claims once on this Node', {
  skip: !hasRedis && 'redis-server not installed',
}, async () => {
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  )
  const client = new Redis(`redis://127.0.0.1:${port}`, { retryStrategy: (n) => (n > 50 ? null : 50) })
  client.on('error', () => {}) // refused until redis-server is up; ping() waits through the retries
  try {
    await client.ping()
    const store = createRedisDedupeStore(client)
    const results = await Promise.all(Array.from({ length: 20 }, () => store.claim('smoke', 10_000)))
    assert.equal(results.filter(Boolean).length, 1)
    await store.complete('smoke', 60_000)
    assert.equal(await store.claim('smoke', 10_000), false)
  } finally {
    client.disconnect()
    server.kill('SIGKILL')
  }
})
