// A throw-away redis-server for the Node 20 smoke tests, on a free loopback port.
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'

export const hasRedis = spawnSync('redis-server', ['--version']).status === 0
if (!hasRedis && process.env.CI) throw new Error('redis-server is missing; .ci/run installs it')

/** Starts redis-server and resolves once it answers PING: `{ url, stop() }`. */
export async function startRedis() {
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
  for (let i = 0; i < 100; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') break
    await new Promise((r) => setTimeout(r, 50))
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => server.kill('SIGKILL') }
}
