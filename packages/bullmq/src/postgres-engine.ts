import type { SuperOfficeInboxJob } from '@superoffice-webhooks/core'
import * as BullMQ from 'bullmq'
import { type Engine, type EngineLogger, RefusedStoreError, withTimeout } from './engine.js'

/**
 * What the inbox needs of a `pg.Pool` (node-postgres). Structural, so this package needs neither
 * `pg` nor its types unless the PostgreSQL engine is used.
 */
export interface PgPoolLike {
  connect(): Promise<{ query(sql: string): Promise<{ rows: Record<string, unknown>[] }>; release(): void }>
  query(sql: string, values?: unknown[]): Promise<unknown>
  end(): Promise<void>
  on(event: 'error', listener: (error: Error) => void): unknown
}

export interface PostgresEngineOptions {
  /**
   * A `postgres://` URL, node-postgres pool options, or a `pg.Pool` (the app then owns it; its
   * connections need BullMQ's schema on their `search_path`: `options: '-c search_path=bullmq'`).
   */
  connection: string | PgPoolLike | Record<string, unknown>
  queueName: string
  timeoutMs: number
  /** Run BullMQ's schema migrations at open (idempotent, under an advisory lock). */
  migrate: boolean
  logger: EngineLogger | undefined
}

type BackendFactory = (...args: never[]) => unknown
type QueueWithBackend = new (name: string, opts: object, factory: BackendFactory) => BullMQ.Queue
type WorkerWithBackend = new (
  name: string,
  processor: unknown,
  opts: object,
  factory: BackendFactory,
) => BullMQ.Worker<SuperOfficeInboxJob>

/**
 * The queue on PostgreSQL, through BullMQ 6's backend (`createPostgresBackend`): the same Queue and
 * Worker, the same jobs, retries and dead letters. The engine makes the `pg.Pool` itself from a URL
 * (BullMQ's own loader needs `require`, which ESM apps do not have), runs BullMQ's migrations at
 * open, and warns when the server runs with `fsync = off`.
 */
export function postgresEngine(options: PostgresEngineOptions): Engine {
  const bullmq = BullMQ as unknown as Record<string, unknown>
  const create = bullmq.createPostgresBackend as BackendFactory | undefined
  const runMigrations = bullmq.runMigrations as ((client: unknown) => Promise<number>) | undefined
  const checkTimeoutMs = Math.max(options.timeoutMs, 5000)
  let pool: PgPoolLike | undefined
  let ownsPool = false
  let queue: BullMQ.Queue | undefined
  let warned = false
  let locksReady: Promise<void> | undefined
  // The inbox's own tables beside BullMQ's, made once (a failed attempt is tried again next time).
  const tables = () => {
    if (!pool) return Promise.reject(new Error('The PostgreSQL inbox is not open.'))
    locksReady ??= createTables(pool).catch((error: unknown) => {
      locksReady = undefined
      throw error
    })
    return locksReady
  }

  const makePool = async (): Promise<PgPoolLike> => {
    const connection = options.connection
    if (isPool(connection)) return connection
    let pg: { Pool?: new (config: object) => PgPoolLike; default?: { Pool?: new (config: object) => PgPoolLike } }
    try {
      const specifier = 'pg'
      pg = await import(specifier)
    } catch (error) {
      throw new RefusedStoreError(
        `The PostgreSQL inbox needs the pg package: npm install pg (${(error as Error).message})`,
      )
    }
    const Pool = pg.Pool ?? pg.default?.Pool
    if (!Pool) throw new RefusedStoreError('The pg package loaded without a Pool export.')
    // BullMQ's tables and functions live in their own schema; its SQL names them unqualified,
    // so every connection of a pool made outside BullMQ needs that schema on its search_path.
    const schema = String(bullmq.DEFAULT_SCHEMA ?? 'bullmq')
    const made = new Pool({
      max: 10,
      connectionTimeoutMillis: checkTimeoutMs,
      options: `-c search_path=${schema},public`,
      ...(typeof connection === 'string' ? { connectionString: connection } : connection),
    })
    made.on('error', () => {}) // an idle client's lost connection: reported per delivery instead
    ownsPool = true
    return made
  }

  return {
    name: 'PostgreSQL',
    get queue() {
      return queue
    },
    async open() {
      if (!create || !runMigrations) {
        throw new RefusedStoreError(
          'The PostgreSQL inbox needs BullMQ 6 (npm install bullmq@6), whose PostgreSQL backend it runs on; this is BullMQ 5.',
        )
      }
      pool ??= await makePool()
      const client = await withTimeout(pool.connect(), checkTimeoutMs, 'PostgreSQL was not reachable')
      try {
        if (options.migrate) await withTimeout(runMigrations(client), 60_000, 'BullMQ migrations did not finish')
        const fsync = (await client.query('SHOW fsync')).rows[0]?.fsync
        if (fsync === 'off' && !warned) {
          warned = true
          options.logger?.warn(
            'superoffice-webhooks: the inbox PostgreSQL runs with fsync = off: a crash can lose events already answered 200. See docs/production.md.',
          )
        }
      } finally {
        client.release()
      }
      if (!queue) {
        queue = new (BullMQ.Queue as unknown as QueueWithBackend)(options.queueName, { connection: pool }, create)
        queue.on('error', () => {})
      }
    },
    connected: () => queue !== undefined,
    worker(processor, workerOptions) {
      if (!pool || !create) throw new Error('The PostgreSQL inbox is not open.')
      return new (BullMQ.Worker as unknown as WorkerWithBackend)(
        options.queueName,
        processor,
        { connection: pool, ...workerOptions },
        create,
      )
    },
    refused: (error) => error instanceof RefusedStoreError,
    async lockRow(key, token, ttlMs) {
      if (!pool) throw new Error('The PostgreSQL inbox is not open.')
      await tables()
      // One statement: a free or expired row lock is taken; a held one is left alone.
      const { rows } = (await pool.query(
        `INSERT INTO superoffice_row_lock (queue, key, token, expires_at_ms) VALUES ($1, $2, $3, $4::bigint + $5::bigint)
         ON CONFLICT (queue, key) DO UPDATE SET token = EXCLUDED.token, expires_at_ms = EXCLUDED.expires_at_ms
         WHERE superoffice_row_lock.expires_at_ms <= $4::bigint
         RETURNING token`,
        [options.queueName, key, token, Date.now(), Math.ceil(ttlMs)],
      )) as { rows: unknown[] }
      return rows.length > 0
    },
    async getValue(key) {
      if (!pool) throw new Error('The PostgreSQL inbox is not open.')
      await tables()
      const { rows } = (await pool.query(
        'SELECT value FROM superoffice_value WHERE queue = $1 AND key = $2 AND expires_at_ms > $3::bigint',
        [options.queueName, key, Date.now()],
      )) as { rows: { value: string }[] }
      return rows[0]?.value
    },
    async setValue(key, value, ttlMs) {
      if (!pool) throw new Error('The PostgreSQL inbox is not open.')
      await tables()
      if (value === undefined) {
        await pool.query('DELETE FROM superoffice_value WHERE queue = $1 AND key = $2', [options.queueName, key])
        return
      }
      await pool.query(
        `INSERT INTO superoffice_value (queue, key, value, expires_at_ms) VALUES ($1, $2, $3, $4::bigint)
         ON CONFLICT (queue, key) DO UPDATE SET value = EXCLUDED.value, expires_at_ms = EXCLUDED.expires_at_ms`,
        [options.queueName, key, value, Date.now() + Math.ceil(ttlMs)],
      )
    },
    async addToCounter(key, delta, ttlMs) {
      if (!pool) throw new Error('The PostgreSQL inbox is not open.')
      await tables()
      const now = Date.now()
      const { rows } = (await pool.query(
        `INSERT INTO superoffice_value (queue, key, value, expires_at_ms) VALUES ($1, $2, GREATEST($3::bigint, 0)::text, $4::bigint)
         ON CONFLICT (queue, key) DO UPDATE SET
           value = GREATEST(CASE WHEN superoffice_value.expires_at_ms > $5::bigint THEN superoffice_value.value::bigint ELSE 0 END + $3::bigint, 0)::text,
           expires_at_ms = EXCLUDED.expires_at_ms
         RETURNING value`,
        [options.queueName, key, delta, now + Math.ceil(ttlMs), now],
      )) as { rows: { value: string }[] }
      return Number(rows[0]?.value ?? 0)
    },
    async pushToList(key, value, ttlMs) {
      if (!pool) throw new Error('The PostgreSQL inbox is not open.')
      await tables()
      await pool.query(
        'INSERT INTO superoffice_list (queue, key, value, expires_at_ms) VALUES ($1, $2, $3, $4::bigint)',
        [options.queueName, key, value, Date.now() + Math.ceil(ttlMs)],
      )
    },
    async popFromList(key) {
      if (!pool) throw new Error('The PostgreSQL inbox is not open.')
      await tables()
      // The oldest entry, taken by one caller only (others skip the locked row and take the next).
      const { rows } = (await pool.query(
        `DELETE FROM superoffice_list WHERE seq = (
           SELECT seq FROM superoffice_list WHERE queue = $1 AND key = $2 ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED
         ) RETURNING value, expires_at_ms`,
        [options.queueName, key],
      )) as { rows: { value: string; expires_at_ms: string }[] }
      const row = rows[0]
      return row && Number(row.expires_at_ms) > Date.now() ? row.value : undefined
    },
    async clearList(key) {
      await pool?.query('DELETE FROM superoffice_list WHERE queue = $1 AND key = $2', [options.queueName, key])
    },
    async renewRow(key, token, ttlMs) {
      if (!pool) return false
      const { rows } = (await pool.query(
        'UPDATE superoffice_row_lock SET expires_at_ms = $4::bigint + $5::bigint WHERE queue = $1 AND key = $2 AND token = $3 RETURNING token',
        [options.queueName, key, token, Date.now(), Math.ceil(ttlMs)],
      )) as { rows: unknown[] }
      return rows.length > 0
    },
    async unlockRow(key, token) {
      await pool?.query('DELETE FROM superoffice_row_lock WHERE queue = $1 AND key = $2 AND token = $3', [
        options.queueName,
        key,
        token,
      ])
    },
    async close() {
      await queue?.close()
      if (ownsPool) await pool?.end().catch(() => {})
    },
  }
}

/**
 * The row locks of ordered work, coalescing's small values and the tenants' waiting lists, beside BullMQ's tables (created
 * once; concurrent creators agree).
 */
async function createTables(pool: PgPoolLike): Promise<void> {
  for (const statement of [
    'CREATE TABLE IF NOT EXISTS superoffice_row_lock (queue text NOT NULL, key text NOT NULL, token text NOT NULL, expires_at_ms bigint NOT NULL, PRIMARY KEY (queue, key))',
    'CREATE TABLE IF NOT EXISTS superoffice_value (queue text NOT NULL, key text NOT NULL, value text NOT NULL, expires_at_ms bigint NOT NULL, PRIMARY KEY (queue, key))',
    'CREATE TABLE IF NOT EXISTS superoffice_list (seq bigserial PRIMARY KEY, queue text NOT NULL, key text NOT NULL, value text NOT NULL, expires_at_ms bigint NOT NULL)',
    'CREATE INDEX IF NOT EXISTS superoffice_list_key ON superoffice_list (queue, key, seq)',
  ]) {
    try {
      await pool.query(statement)
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code
      if (code !== '23505' && code !== '42P07' && code !== '42710') throw error
    }
  }
}

/** A `pg.Pool` (or one like it) rather than its options. */
function isPool(connection: unknown): connection is PgPoolLike {
  const candidate = connection as Partial<PgPoolLike> | null
  return typeof candidate?.connect === 'function' && typeof candidate?.query === 'function'
}

/** Whether a connection string or value points at PostgreSQL. */
export function isPostgresConnection(connection: unknown): boolean {
  if (typeof connection === 'string') return /^postgres(ql)?:\/\//i.test(connection)
  return isPool(connection)
}
