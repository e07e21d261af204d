import type { SuperOfficeInboxJob } from '@superoffice-webhooks/core'
import { type ConnectionOptions, Queue, Worker } from 'bullmq'
import { type Cluster, Redis, type RedisOptions } from 'ioredis'
import { type Engine, type EngineLogger, RefusedStoreError, withTimeout } from './engine.js'
import { evictionRefusal, persistenceWarning, readRedisFacts } from './redis-checks.js'

export interface RedisEngineOptions {
  connection: string | RedisOptions | Redis | Cluster
  queueName: string
  prefix: string | undefined
  timeoutMs: number
  allowEvictingRedis: boolean
  logger: EngineLogger | undefined
}

/**
 * The queue on Redis. The engine makes its own ioredis clients from a URL or options (BullMQ 6 no
 * longer brings ioredis) and hands BullMQ clients, never options, so BullMQ 5 and 6 behave alike.
 * Opening reads `maxmemory-policy` (CONFIG, or INFO where CONFIG is disabled) and refuses
 * eviction; it warns once about a Redis without persistence.
 */
export function redisEngine(options: RedisEngineOptions): Engine {
  const given = isClient(options.connection) ? options.connection : undefined
  if (given && isCluster(given)) checkClusterPrefix(options.prefix)
  const redisOptions = given ? undefined : connectionOptions(options.connection as string | RedisOptions)
  const prefix = options.prefix === undefined ? {} : { prefix: options.prefix }
  const owned = new Set<Redis>()
  const client = (extra: RedisOptions): Redis => {
    if (given) return given as Redis
    const made = new Redis({ ...redisOptions, ...extra })
    made.on('error', () => {}) // reported per delivery (inbox_unavailable) or by the worker's start-up
    owned.add(made)
    return made
  }
  // Fails fast while Redis is down (see connected()). Not with ioredis's enableOfflineQueue: false,
  // whose handshake on reconnect rejects a promise nobody holds.
  const producer = client({ maxRetriesPerRequest: 1 })
  const queue = new Queue(options.queueName, { connection: producer as unknown as ConnectionOptions, ...prefix })
  queue.on('error', () => {}) // reported per delivery as inbox_unavailable
  // The checks may take longer than one enqueue (a connection to make, a busy machine).
  const checkTimeoutMs = Math.max(options.timeoutMs, 5000)
  let warned = false
  const rowKey = (key: string) => `${options.prefix ?? 'bull'}:${options.queueName}:so-row:${key}`
  const listKey = (key: string) => `${options.prefix ?? 'bull'}:${options.queueName}:so-list:${key}`
  const valueKey = (key: string) => `${options.prefix ?? 'bull'}:${options.queueName}:so-value:${key}`

  const check = async () => {
    const facts = await withTimeout(
      readRedisFacts(producer),
      checkTimeoutMs,
      'Redis did not answer the start-up checks',
    )
    const policy = facts.maxmemoryPolicy
    if (policy !== undefined && policy !== 'noeviction' && !options.allowEvictingRedis) {
      throw new RefusedStoreError(evictionRefusal(policy).message)
    }
    return facts
  }
  // A connection that comes back may be to another server (a failover, a restart with other
  // settings): listeners are told once it is ready again.
  const reconnectListeners: (() => void)[] = []
  let lost = false
  producer.on('close', () => {
    lost = true
  })
  producer.on('ready', () => {
    if (!lost) return
    lost = false
    for (const listener of reconnectListeners) listener()
  })

  return {
    name: 'Redis',
    queue,
    async recheck() {
      if (producer.status !== 'ready') return // checked again once the connection is back
      await check()
    },
    onReconnect(listener) {
      reconnectListeners.push(listener)
    },
    async open() {
      await whenReady(producer, checkTimeoutMs)
      const facts = await check()
      const policy = facts.maxmemoryPolicy
      if (warned) return
      warned = true
      if (policy === undefined) {
        options.logger?.warn(
          'superoffice-webhooks: could not read the inbox Redis maxmemory-policy (CONFIG and INFO refused); it must be noeviction, or queued events can be evicted. See docs/production.md.',
        )
      }
      const warning = persistenceWarning(facts)
      if (warning) options.logger?.warn(`superoffice-webhooks: ${warning}`)
    },
    connected: () => given !== undefined || producer.status === 'ready',
    worker(processor, workerOptions) {
      return new Worker<SuperOfficeInboxJob>(options.queueName, processor, {
        // Workers block on Redis; BullMQ needs them to retry forever rather than give up.
        connection: client({ maxRetriesPerRequest: null }) as unknown as ConnectionOptions,
        ...workerOptions,
        ...prefix,
      })
    },
    refused: (error) => error instanceof RefusedStoreError,
    // Beside the queue's own keys, under its prefix (on a cluster, in its hash-tagged slot).
    async lockRow(key, token, ttlMs) {
      return (await producer.set(rowKey(key), token, 'PX', Math.ceil(ttlMs), 'NX')) === 'OK'
    },
    async getValue(key) {
      return (await producer.get(valueKey(key))) ?? undefined
    },
    async setValue(key, value, ttlMs) {
      if (value === undefined) await producer.del(valueKey(key))
      else await producer.set(valueKey(key), value, 'PX', Math.ceil(ttlMs))
    },
    async addToCounter(key, delta, ttlMs) {
      return Number(await producer.eval(ADD_TO_COUNTER, 1, valueKey(key), delta, Math.ceil(ttlMs)))
    },
    async pushToList(key, value, ttlMs) {
      await producer.eval(PUSH, 1, listKey(key), value, Math.ceil(ttlMs))
    },
    async popFromList(key) {
      return (await producer.lpop(listKey(key))) ?? undefined
    },
    async clearList(key) {
      await producer.del(listKey(key))
    },
    async renewRow(key, token, ttlMs) {
      return (await producer.eval(RENEW, 1, rowKey(key), token, Math.ceil(ttlMs))) === 1
    },
    async unlockRow(key, token) {
      await producer.eval(UNLOCK, 1, rowKey(key), token)
    },
    async close() {
      await queue.close()
      await Promise.all([...owned].map((c) => c.quit().catch(() => c.disconnect())))
    },
  }
}

/** Adds to a counter, never below 0, and keeps it for a while after its last change. */
const ADD_TO_COUNTER =
  "local n = (tonumber(redis.call('GET', KEYS[1])) or 0) + tonumber(ARGV[1]) if n < 0 then n = 0 end redis.call('SET', KEYS[1], n, 'PX', ARGV[2]) return n"

/** Appends to a list and keeps it for a while after its last push. */
const PUSH = "redis.call('RPUSH', KEYS[1], ARGV[1]) return redis.call('PEXPIRE', KEYS[1], ARGV[2])"

/** Extends a row lock only while it holds the caller's token. */
const RENEW =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"

/** Deletes a row lock only while it holds the caller's token. */
const UNLOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

/** Waits until an ioredis client is connected, at most `ms`. */
async function whenReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return
  if (redis.status === 'wait') redis.connect().catch(() => {})
  let onReady: (() => void) | undefined
  try {
    await withTimeout(
      new Promise<void>((resolve) => {
        onReady = resolve
        redis.once('ready', resolve)
      }),
      ms,
      'Redis was not reachable',
    )
  } finally {
    if (onReady) redis.off('ready', onReady)
  }
}

/** An ioredis instance or Cluster (which BullMQ reuses) rather than options (from which it connects). */
export function isClient(connection: unknown): connection is Redis | Cluster {
  return typeof (connection as { duplicate?: unknown } | null)?.duplicate === 'function'
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true
}

/**
 * On Redis Cluster every key of a queue must hash to one slot, or BullMQ's scripts fail with
 * CROSSSLOT: the prefix needs a hash tag (`{…}`). Refused at creation, saying what to pass.
 */
function checkClusterPrefix(prefix: string | undefined): void {
  if (prefix !== undefined && /\{[^{}]+\}/.test(prefix)) return
  throw new TypeError(
    `createBullMQInbox: on Redis Cluster the prefix needs a hash tag, so that every key of the queue lands in one slot (BullMQ's scripts touch several keys at once). Pass { prefix: '{superoffice}' }${prefix === undefined ? '' : ` instead of '${prefix}'`}.`,
  )
}

/** A `redis://` or `rediss://` URL becomes ioredis options; options are passed on. */
function connectionOptions(connection: string | RedisOptions): RedisOptions {
  if (typeof connection !== 'string') return connection
  const url = new URL(connection)
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError(
      `createBullMQInbox: connection must be a redis://, rediss:// or postgres:// URL, not ${url.protocol}`,
    )
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db === undefined || Number.isNaN(db) ? {} : { db }),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  }
}
