import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createRedisDedupeStore } from '@superoffice-webhooks/redis'
import { Redis } from 'ioredis'
import { hasRedis, startRedis } from './redis.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

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
  const server = await startRedis()
  const client = new Redis(server.url, { retryStrategy: (n) => (n > 50 ? null : 50) })
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
    server.stop()
  }
})
