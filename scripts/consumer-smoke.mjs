// What a user gets from npm today: every published package packed as it would be published,
// installed into a fresh npm project beside the latest version of every peer (BullMQ, ioredis,
// Koa, h3, Nest, zod…), then a script there receives a signed event through the inbox on a real
// redis-server and handles it in a worker. A new major of a peer that breaks the install (ERESOLVE)
// or the inbox (BullMQ 6 without ioredis) fails here first.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const PEERS = [
  'bullmq',
  'ioredis',
  'koa',
  'express',
  '@bull-board/api',
  'h3',
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  'reflect-metadata',
  'rxjs',
  'zod',
  'redis',
  'pg',
]

const CONSUMER = `
import 'reflect-metadata'
import Koa from 'koa'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { superOfficeWebhooks } from '@superoffice-webhooks/koa'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
// The other packages load beside the latest of their peers.
import { defineSuperOfficeWebhookHandler } from '@superoffice-webhooks/h3'
import { SuperOfficeWebhooksModule } from '@superoffice-webhooks/nestjs'
import { createRedisDedupeStore } from '@superoffice-webhooks/redis'
import { createSuperOfficeWebhookClient } from '@superoffice-webhooks/admin'
import { createSuperOfficeApi, createSuperOfficeTenantStatus } from '@superoffice-webhooks/api'
import { superOfficeWebhooks as expressWebhooks } from '@superoffice-webhooks/express'
import { superOfficeInboxBoard } from '@superoffice-webhooks/bullmq/board'
for (const loaded of [defineSuperOfficeWebhookHandler, SuperOfficeWebhooksModule, createRedisDedupeStore, createSuperOfficeWebhookClient, createSuperOfficeApi, createSuperOfficeTenantStatus, expressWebhooks, superOfficeInboxBoard]) {
  if (!loaded) throw new Error('an export did not load')
}

const fail = setTimeout(() => { console.error('timed out: the event was not handled'); process.exit(1) }, 60_000)
const inbox = createBullMQInbox({ connection: process.env.REDIS_URL, logger: false })
await inbox.ready()
const webhooks = createSuperOfficeWebhooks({ secret: 'consumer-secret', inbox, logger: false })
const handled = new Promise((resolve) => webhooks.on('sale.sold', (event) => resolve(event)))
const app = new Koa()
app.use(superOfficeWebhooks(webhooks, { path: '/webhooks/superoffice' }))
const server = app.listen(0, '127.0.0.1')
await new Promise((resolve) => server.once('listening', resolve))
const worker = inbox.work(webhooks)
const event = createTestEvent('sale.sold')
const { body, headers } = signedPayload(event, { secret: 'consumer-secret' })
const response = await fetch('http://127.0.0.1:' + server.address().port + '/webhooks/superoffice', { method: 'POST', body, headers })
const answer = await response.json()
if (response.status !== 200 || answer.queued !== true) throw new Error('answered ' + response.status + ' ' + JSON.stringify(answer))
const got = await handled
if (got.EventId !== event.EventId) throw new Error('handled another event')
await worker.close()
await inbox.close()
server.close()
clearTimeout(fail)
console.log('consumer: sale.sold ' + got.EventId + ' answered 200 (queued) and handled by the worker')
`

const redisServer = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', 'redis-server'].find(
  (bin) => spawnSync(bin, ['--version']).status === 0,
)
if (!redisServer) {
  const message = '!!! consumer smoke SKIPPED: redis-server is not installed (apt-get install redis-server) !!!'
  if (process.env.CI) {
    console.error(message)
    process.exit(1)
  }
  console.warn(message)
  process.exit(0)
}

const work = mkdtempSync(join(tmpdir(), 'superoffice-consumer-'))
let redis
try {
  // 1. The tarballs, as `pnpm pack` publishes them (workspace ranges become version ranges).
  const tarballs = []
  for (const name of readdirSync(join(root, 'packages'))) {
    const dir = join(root, 'packages', name)
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    if (pkg.private || name === 'nuxt' || name === 'cli') continue
    execFileSync('pnpm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: dir, stdio: 'pipe' })
    tarballs.push(
      join(
        work,
        readdirSync(work).find((f) => f.startsWith(pkg.name.replace('@', '').replace('/', '-'))),
      ),
    )
  }

  // 2. A fresh npm project with the tarballs and npm's latest of every peer.
  const app = join(work, 'app')
  execFileSync('mkdir', ['-p', app])
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  const install = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...PEERS.map((p) => `${p}@latest`)],
    { cwd: app, encoding: 'utf8', timeout: 300_000 },
  )
  if (install.status !== 0) {
    console.error(`npm install of the packages with the latest peers failed:\n${install.stdout}${install.stderr}`)
    process.exit(1)
  }
  const versions = Object.fromEntries(
    PEERS.map((p) => [p, JSON.parse(readFileSync(join(app, 'node_modules', p, 'package.json'), 'utf8')).version]),
  )

  // 3. A real redis-server, then the consumer's script.
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
  redis = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  })
  writeFileSync(join(app, 'consumer.mjs'), CONSUMER)
  const run = spawnSync(process.execPath, ['consumer.mjs'], {
    cwd: app,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, REDIS_URL: `redis://127.0.0.1:${port}` },
  })
  process.stdout.write(run.stdout)
  if (run.status !== 0) {
    console.error(`the consumer script failed (exit ${run.status ?? run.signal}):\n${run.stderr}`)
    process.exit(1)
  }
  console.log(`consumer smoke: received and handled through the inbox with ${JSON.stringify(versions)}`)
} finally {
  redis?.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
}
