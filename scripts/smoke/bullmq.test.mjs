import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks, signPayload } from '@superoffice-webhooks/core'
import { createTestEvent } from '@superoffice-webhooks/testing'

const hasRedis = spawnSync('redis-server', ['--version']).status === 0
if (!hasRedis && process.env.CI) throw new Error('redis-server is missing; .ci/run installs it')

test('the BullMQ inbox loads through require (CommonJS)', () => {
  const require = createRequire(import.meta.url)
  assert.equal(typeof require('@superoffice-webhooks/bullmq').createBullMQInbox, 'function')
})

test('the BullMQ inbox stores, answers 200 and its worker runs the handler on this Node', {
  skip: !hasRedis && 'redis-server not installed',
}, async () => {
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
  const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  })
  try {
    for (let i = 0; i < 100; i++) {
      if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') break
      await new Promise((r) => setTimeout(r, 50))
    }
    const inbox = createBullMQInbox({ connection: `redis://127.0.0.1:${port}` })
    const webhooks = createSuperOfficeWebhooks({ secret: 'smoke', logger: false, inbox })
    const handled = new Promise((resolve) => webhooks.on('sale.sold', (event) => resolve(event.EventId)))
    const event = createTestEvent('sale.sold')
    const body = JSON.stringify(event)
    const answer = await webhooks.handle({
      rawBody: body,
      headers: { 'x-superoffice-signature': signPayload(body, 'smoke') },
    })
    assert.deepEqual(answer.body, { ok: true, queued: true })
    const worker = inbox.work(webhooks)
    assert.equal(await handled, event.EventId)
    await worker.close()
    await inbox.close()
  } finally {
    server.kill('SIGKILL')
  }
})
