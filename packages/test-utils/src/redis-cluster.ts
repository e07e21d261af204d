import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './ports.js'
import { hasRedis } from './redis-server.js'

/** A Redis Cluster of the test's own: three masters, no replicas, on random loopback ports. */
export interface TestRedisCluster {
  /** The masters' addresses, for `new Cluster(nodes)`. */
  nodes: { host: string; port: number }[]
  /** SIGKILL every node: an outage of the whole cluster. */
  kill(): Promise<void>
  /** Starts the nodes again on their ports; they rejoin from their cluster config (empty of data). */
  restart(): Promise<void>
  stop(): Promise<void>
}

export { hasRedis as hasRedisCluster }

/** Starts three `redis-server --cluster-enabled yes` and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'superoffice-cluster-'))
  const ports = [await freePort(), await freePort(), await freePort()]
  let children: ChildProcess[] = []
  const boot = () => {
    children = ports.map((port) =>
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      ),
    )
  }
  boot()
  const cli = (port: number, ...args: string[]) =>
    spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout?.trim() ?? ''
  const answering = async () => {
    for (const port of ports) {
      for (let i = 0; i < 100 && cli(port, 'ping') !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 50))
    }
  }
  const healthy = async () => {
    for (let i = 0; i < 400; i++) {
      if (ports.every((port) => cli(port, 'cluster', 'info').includes('cluster_state:ok'))) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error('the Redis Cluster did not become healthy')
  }
  await answering()
  const create = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
    { encoding: 'utf8' },
  )
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`)
  await healthy()
  const kill = () =>
    Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            child.once('exit', () => resolve())
            child.kill('SIGKILL')
          }),
      ),
    ).then(() => undefined)
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    kill,
    async restart() {
      boot()
      await answering()
      await healthy()
    },
    async stop() {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
