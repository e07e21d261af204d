import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { freePort } from './ports.js'

/** A redis-server of the test's own, on a random loopback port. */
export interface TestRedisServer {
  url: string
  port: number
  /** Stops the server (SIGKILL: an outage, not a shutdown). */
  kill(): Promise<void>
  /** Starts it again on the same port, empty; `args` replace the flags it was started with. */
  restart(args?: readonly string[]): Promise<void>
  /** SIGSTOP / SIGCONT: a server that accepts connections but never answers. */
  pause(): void
  resume(): void
  stop(): Promise<void>
}

const binary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', 'redis-server'].find(
  (bin) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0,
)

/**
 * Whether redis-server is installed. Tests that need it skip loudly when it is not, except in CI
 * (CI=true), where its absence fails the run: .ci/run installs it.
 */
export const hasRedis: boolean = (() => {
  if (binary) return true
  if (process.env.CI)
    throw new Error('redis-server is not installed; .ci/run must install it (apt-get install redis-server).')
  console.warn('\n!!! SKIPPING Redis tests: redis-server is not installed (apt-get install redis-server) !!!\n')
  return false
})()

/**
 * Starts a throw-away redis-server (no persistence unless `args` says otherwise) and waits until
 * it answers. `args` are more redis-server flags: `['--maxmemory-policy', 'allkeys-lru']`.
 */
export async function startRedisServer(args: readonly string[] = []): Promise<TestRedisServer> {
  if (!binary) throw new Error('redis-server is not installed')
  const port = await freePort()
  let child: ChildProcess | undefined
  let flags = args
  const boot = async (next: readonly string[] = flags) => {
    flags = next
    const started = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...flags],
      { stdio: 'ignore' },
    )
    child = started
    // Waits on readiness, not on a deadline: a busy machine only makes this slower. It gives up
    // when the server exited, or after a minute of no answer.
    for (let i = 0; i < 600; i++) {
      if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode} on port ${port}`)
      const ping = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' })
      if (ping.stdout?.trim() === 'PONG') return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`redis-server did not answer on port ${port} within a minute`)
  }
  const kill = async () => {
    const current = child
    if (!current || current.exitCode !== null || current.signalCode !== null) return
    const exited = new Promise((resolve) => current.once('exit', resolve))
    current.kill('SIGCONT')
    current.kill('SIGKILL')
    await exited
  }
  await boot()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: (next) => boot(next),
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    stop: kill,
  }
}
