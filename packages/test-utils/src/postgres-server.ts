import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './ports.js'

/** A PostgreSQL server of the test's own, in a temporary data folder, on a random loopback port. */
export interface TestPostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string
  port: number
  /** SIGKILL: an outage, not a shutdown. */
  kill(): Promise<void>
  /** Starts it again on the same port and data (a crash recovery). */
  restart(): Promise<void>
  /** SIGSTOP / SIGCONT: accepts connections, answers nothing. */
  pause(): void
  resume(): void
  stop(): Promise<void>
}

// Debian's PostgreSQL keeps its programs out of PATH: the newest version folder.
const binDir = (() => {
  const versions = spawnSync('ls', ['/usr/lib/postgresql'], { encoding: 'utf8' })
    .stdout?.split('\n')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
  for (const version of versions ?? []) {
    const dir = `/usr/lib/postgresql/${version}/bin`
    if (spawnSync(join(dir, 'postgres'), ['--version']).status === 0) return dir
  }
  return undefined
})()

/**
 * Whether PostgreSQL's server is installed. Tests that need it skip loudly when it is not, except
 * in CI (CI=true), where its absence fails the run: .ci/run installs it.
 */
export const hasPostgres: boolean = (() => {
  if (binDir) return true
  if (process.env.CI)
    throw new Error('PostgreSQL is not installed; .ci/run must install it (apt-get install postgresql).')
  console.warn('\n!!! SKIPPING PostgreSQL tests: the server is not installed (apt-get install postgresql) !!!\n')
  return false
})()

// The server refuses to run as root: as root, it runs as Debian's `postgres` user.
const asUser = (() => {
  if (process.getuid?.() !== 0) return {}
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim())
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim())
  return Number.isInteger(uid) && uid > 0 ? { uid, gid } : {}
})()

/** Starts a throw-away PostgreSQL (trust auth, no fsync: a test server) and waits until it answers. */
export async function startPostgresServer(): Promise<TestPostgresServer> {
  if (!binDir) throw new Error('PostgreSQL is not installed')
  const dir = mkdtempSync(join(tmpdir(), 'superoffice-pg-'))
  if ('uid' in asUser) chownSync(dir, asUser.uid as number, asUser.gid as number)
  const data = join(dir, 'data')
  const init = spawnSync(join(binDir, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'], {
    ...asUser,
    encoding: 'utf8',
  })
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`)
  const port = await freePort()
  let child: ChildProcess | undefined
  const boot = async () => {
    child = spawn(
      join(binDir, 'postgres'),
      ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'max_connections=200'],
      { ...asUser, stdio: 'ignore' },
    )
    for (let i = 0; i < 200; i++) {
      const ready = spawnSync(join(binDir, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { encoding: 'utf8' })
      if (ready.status === 0) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`postgres did not start on port ${port}`)
  }
  const kill = async () => {
    const current = child
    if (!current || current.exitCode !== null || current.signalCode !== null) return
    const exited = new Promise((resolve) => current.once('exit', resolve))
    // The postmaster and every backend at once, as a crashed host would: the restart then finds no
    // orphan holding the old shared memory.
    signalAll(current.pid, 'SIGCONT')
    signalAll(current.pid, 'SIGKILL')
    await exited
    // The postmaster's children outlive it for a moment; wait until the port is free again.
    for (let i = 0; i < 100; i++) {
      const ready = spawnSync(join(binDir as string, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)])
      if (ready.status !== 0) break
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  await boot()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    kill,
    restart: boot,
    pause: () => signalAll(child?.pid, 'SIGSTOP'),
    resume: () => signalAll(child?.pid, 'SIGCONT'),
    async stop() {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Signals the postmaster and its backends (each runs in a session of its own, so no group kill). */
function signalAll(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((line) => Number(line.trim()))
    .filter((n) => Number.isInteger(n) && n > 0)
  for (const target of [pid, ...children]) {
    try {
      process.kill(target, signal)
    } catch {}
  }
}
