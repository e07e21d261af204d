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

/** The TypeScripts the published types are checked with (npm aliases of the `typescript` package). */
const TYPESCRIPTS = { 'typescript-5.9': '~5.9.0', 'typescript-6': '^6.0.0', 'typescript-latest': 'latest' }

/** Every published entry point, imported as a user's project would (checked as .mts and .cts). */
const TYPES_CONSUMER = `
import type * as core from '@superoffice-webhooks/core'
import type * as coreAdapter from '@superoffice-webhooks/core/adapter'
import type * as koa from '@superoffice-webhooks/koa'
import type * as h3 from '@superoffice-webhooks/h3'
import type * as nestjs from '@superoffice-webhooks/nestjs'
import type * as express from '@superoffice-webhooks/express'
import type * as redis from '@superoffice-webhooks/redis'
import type * as postgres from '@superoffice-webhooks/postgres'
import type * as bullmq from '@superoffice-webhooks/bullmq'
import type * as board from '@superoffice-webhooks/bullmq/board'
import type * as api from '@superoffice-webhooks/api'
import type * as admin from '@superoffice-webhooks/admin'
import type * as testing from '@superoffice-webhooks/testing'

export type Sale = core.SuperOfficeEntityFor<'sale.sold'>
export type Everything = [typeof core, typeof coreAdapter, typeof koa, typeof h3, typeof nestjs, typeof express, typeof redis,
  typeof postgres, typeof bullmq, typeof board, typeof api, typeof admin, typeof testing]
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
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...tarballs,
      ...PEERS.map((p) => `${p}@latest`),
      ...Object.entries(TYPESCRIPTS).map(([alias, range]) => `${alias}@npm:typescript@${range}`),
      '@types/node@latest',
      // A TypeScript user of Koa or Express has their types too.
      '@types/koa@latest',
      '@types/express@latest',
    ],
    { cwd: app, encoding: 'utf8', timeout: 600_000 },
  )
  if (install.status !== 0) {
    console.error(`npm install of the packages with the latest peers failed:\n${install.stdout}${install.stderr}`)
    process.exit(1)
  }
  const versions = Object.fromEntries(
    PEERS.map((p) => [p, JSON.parse(readFileSync(join(app, 'node_modules', p, 'package.json'), 'utf8')).version]),
  )

  // 3. The published types as a user's project checks them: skipLibCheck off, ESM and CommonJS,
  // on each TypeScript a user may have. Only errors in our declarations (or in the consumer's
  // file) count; other packages' declarations are theirs to fix.
  writeFileSync(join(app, 'types.mts'), TYPES_CONSUMER)
  writeFileSync(join(app, 'types.cts'), TYPES_CONSUMER)
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
        lib: ['ES2023', 'DOM'],
      },
      files: ['types.mts', 'types.cts'],
    }),
  )
  const typeProblems = []
  const checked = []
  for (const alias of Object.keys(TYPESCRIPTS)) {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', alias, 'package.json'), 'utf8'))
    const bin = join(app, 'node_modules', alias, typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.tsc)
    const tsc = spawnSync(process.execPath, [bin, '-p', 'tsconfig.json'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 300_000,
    })
    const ours = `${tsc.stdout}${tsc.stderr}`
      .split('\n')
      .filter((line) => /^(types\.[mc]ts|node_modules\/@superoffice-webhooks\/)/.test(line))
    if (ours.length > 0) typeProblems.push(`TypeScript ${pkg.version}:\n${ours.join('\n')}`)
    checked.push(pkg.version)
  }
  if (typeProblems.length > 0) {
    console.error(`the published types have errors with skipLibCheck: false:\n${typeProblems.join('\n')}`)
    process.exit(1)
  }
  console.log(`consumer types: clean with skipLibCheck false, ESM and CommonJS, on TypeScript ${checked.join(', ')}`)

  // 4. A real redis-server, then the consumer's script.
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

  // 5. The command from its tarballs, as the CLI's README says: `pack`'s line for it, in an empty
  // project, then `npx superoffice-webhooks` runs.
  const packed = join(work, 'packed')
  const pack = spawnSync(process.execPath, ['scripts/pack.mjs', packed], { cwd: root, encoding: 'utf8' })
  const line = pack.stdout.split('\n').find((l) => l.trim().startsWith('@superoffice-webhooks/cli '))
  if (pack.status !== 0 || !line) {
    console.error(`scripts/pack.mjs did not print the CLI's install line:\n${pack.stdout}${pack.stderr}`)
    process.exit(1)
  }
  const cliApp = join(work, 'cli-app')
  execFileSync('mkdir', ['-p', cliApp])
  writeFileSync(join(cliApp, 'package.json'), JSON.stringify({ name: 'cli-consumer', private: true }))
  const args = line.trim().split(/\s+/).slice(3) // after "<name> npm install"
  const cliInstall = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...args], {
    cwd: cliApp,
    encoding: 'utf8',
    timeout: 600_000,
  })
  const events = spawnSync('npx', ['--no-install', 'superoffice-webhooks', 'events'], { cwd: cliApp, encoding: 'utf8' })
  if (cliInstall.status !== 0 || events.status !== 0 || !events.stdout.includes('sale.sold')) {
    console.error(`the CLI from its tarballs did not run:\n${cliInstall.stderr}${events.stdout}${events.stderr}`)
    process.exit(1)
  }
  console.log(`consumer smoke: the CLI installed from ${args.length} tarballs (pack's line) and ran`)
} finally {
  redis?.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
}
