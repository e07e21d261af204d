// The Nest quick start of the READMEs, as a user would have it: a CommonJS project (what
// `nest new` makes) built with tsc from src/nest, started, and sent a signed sale.sold.
import { spawn, spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { expect, it } from 'vitest'

const project = fileURLToPath(new URL('./nest/', import.meta.url))
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

it('builds as CommonJS, starts, and marks a signed sale.sold as won', async () => {
  const outDir = `${project}dist`
  rmSync(outDir, { recursive: true, force: true })
  const build = spawnSync(process.execPath, [tsc, '-p', project, '--outDir', outDir], { encoding: 'utf8' })
  expect(`${build.stdout}${build.stderr}`).toBe('')
  const port = await freePort()
  // Its own process group, killed with everything in it whatever happens here.
  const app = spawn(process.execPath, [`${outDir}/main.js`], {
    env: { ...process.env, PORT: String(port), SUPEROFFICE_WEBHOOK_SECRET: 'nest-secret' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const kill = () => {
    try {
      process.kill(-(app.pid as number), 'SIGKILL')
    } catch {}
  }
  process.once('exit', kill)
  let out = ''
  app.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  app.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  try {
    const event = createTestEvent('sale.sold', { PrimaryKey: 4242 })
    const { body, headers } = signedPayload(event, { secret: 'nest-secret' })
    // Ready when it answers: however long a busy machine takes, until the app exits.
    let status = 0
    while (status !== 200) {
      if (app.exitCode !== null) throw new Error(`the app exited with ${app.exitCode}:\n${out}`)
      status = await fetch(`http://127.0.0.1:${port}/webhooks/superoffice`, { method: 'POST', body, headers }).then(
        (r) => r.status,
        () => 0,
      )
      if (status !== 200) await new Promise((r) => setTimeout(r, 200))
    }
    while (!out.includes('sale 4242 marked as won')) {
      if (app.exitCode !== null) throw new Error(`the app exited with ${app.exitCode}:\n${out}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    const wrong = signedPayload(createTestEvent('sale.sold'), { secret: 'not-it' })
    const refused = await fetch(`http://127.0.0.1:${port}/webhooks/superoffice`, { method: 'POST', ...wrong })
    expect(refused.status).toBe(401)
  } finally {
    kill()
    process.off('exit', kill)
    rmSync(outDir, { recursive: true, force: true })
  }
})
