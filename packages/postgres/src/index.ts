import type { SuperOfficeDedupeStore, SuperOfficeSecretStore } from '@superoffice-webhooks/core'
import { checkSecrets } from '@superoffice-webhooks/core/adapter'

/**
 * What the store needs of a node-postgres `Pool` (or `Client`): parameterised queries. Structural,
 * so any pool with `pg`'s `query(text, values)` works.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * const pool: PgQueryable = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * ```
 */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount?: number | null }>
}

/**
 * Options of {@link createPostgresDedupeStore}.
 *
 * @example
 * ```ts
 * const options: PostgresDedupeStoreOptions = { table: 'superoffice_dedupe', commandTimeoutMs: 1000 }
 * ```
 */
export interface PostgresDedupeStoreOptions {
  /**
   * The table the claims live in, created on first use when missing (`CREATE TABLE IF NOT
   * EXISTS`). A plain or schema-qualified name. Default `superoffice_webhooks_dedupe`.
   */
  table?: string
  /** Create the table when missing. Default `true`; `false` when your migrations own it. */
  createTable?: boolean
  /**
   * Longest wait for one query. A pool waits for a free connection and a stopped server may never
   * answer, so without a bound an outage would hang every delivery; past it the store fails and
   * core applies `dedupe.onStoreError` (answer 500, or accept without a duplicate check). Default 1000 ms.
   */
  commandTimeoutMs?: number
  /** Expired rows are deleted once every this many claims. Default 1000. */
  sweepEvery?: number
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/

/**
 * A dedupe store on PostgreSQL, for apps on several instances that have a database but no Redis.
 * The same semantics as the Redis store: `claim` is one atomic upsert (of concurrent claims of a
 * key exactly one wins; an expired claim can be taken over), `complete` keeps the key for the TTL,
 * and `release` frees only this instance's own claim, so a late failure never frees another
 * instance's newer claim. One row per key, in a table created on first use.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
 * import { createPostgresDedupeStore } from '@superoffice-webhooks/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * const webhooks = createSuperOfficeWebhooks({
 *   secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
 *   dedupe: { store: createPostgresDedupeStore(pool) },
 * })
 * ```
 */
export function createPostgresDedupeStore(
  client: PgQueryable,
  options: PostgresDedupeStoreOptions = {},
): SuperOfficeDedupeStore {
  if (typeof (client as Partial<PgQueryable> | null)?.query !== 'function') {
    throw new TypeError('createPostgresDedupeStore needs a node-postgres Pool or Client (with query(text, values)).')
  }
  const table = options.table ?? 'superoffice_webhooks_dedupe'
  if (!NAME.test(table)) throw new TypeError(`createPostgresDedupeStore: '${table}' is not a plain table name.`)
  const timeoutMs = options.commandTimeoutMs ?? 1000
  const sweepEvery = options.sweepEvery ?? 1000
  const tokens = new Map<string, string>()
  let claims = 0

  const run = boundedQuery(client, timeoutMs)
  const ensureTable = tableOnce(
    run,
    `CREATE TABLE IF NOT EXISTS ${table} (key text PRIMARY KEY, token text NOT NULL, expires_at timestamptz NOT NULL)`,
    options.createTable === false,
  )

  return {
    async claim(key, ttlMs) {
      await ensureTable()
      const token = `claimed:${globalThis.crypto.randomUUID()}`
      // One statement: a new key is inserted; an existing one is taken over only when its claim
      // or completion has expired. The row lock makes concurrent claims of a key wait for each
      // other, so exactly one of them sees a row returned.
      // A claim that lands after its bound made the pipeline answer 500: it is given back, or
      // SuperOffice's retry would be taken for a duplicate and the event never handled.
      const result = await run(
        `INSERT INTO ${table} (key, token, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
         WHERE ${table}.expires_at <= now()
         RETURNING token`,
        [key, token, Math.ceil(ttlMs)],
        (late) => {
          if (late.rows.length > 0)
            run(`DELETE FROM ${table} WHERE key = $1 AND token = $2`, [key, token]).catch(() => {})
        },
      )
      if (result.rows.length === 0) return false
      tokens.set(key, token)
      if (++claims % sweepEvery === 0) {
        run(`DELETE FROM ${table} WHERE expires_at < now()`, []).catch(() => {})
      }
      return true
    },
    async complete(key, ttlMs) {
      tokens.delete(key)
      await ensureTable()
      await run(
        `INSERT INTO ${table} (key, token, expires_at) VALUES ($1, 'done', now() + $2 * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET token = 'done', expires_at = EXCLUDED.expires_at`,
        [key, Math.ceil(ttlMs)],
      )
    },
    async release(key) {
      const token = tokens.get(key)
      tokens.delete(key)
      // Only while the row still holds this instance's claim (see the Redis store's release).
      if (token) await run(`DELETE FROM ${table} WHERE key = $1 AND token = $2`, [key, token])
    },
  }
}

/**
 * Options of {@link createPostgresSecretStore}.
 *
 * @example
 * ```ts
 * const options: PostgresSecretStoreOptions = { table: 'superoffice_secrets' }
 * ```
 */
export interface PostgresSecretStoreOptions {
  /** The table, created on first use when missing. Default `superoffice_webhooks_secrets`. */
  table?: string
  /** Create the table when missing. Default `true`; `false` when your migrations own it. */
  createTable?: boolean
  /** Longest wait for one query; past it the call fails (a delivery is answered 500). Default 1000 ms. */
  commandTimeoutMs?: number
}

/**
 * Each tenant's webhook secrets in PostgreSQL (a row per tenant, its secrets newest first), shared
 * by every instance: `ensureTenantWebhooks` writes them, the receiver reads them with
 * `secretsFromStore(store)`. The secrets are stored as they are: grant the table to the app's
 * role only.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createSuperOfficeWebhooks, secretsFromStore } from '@superoffice-webhooks/core'
 * import { createPostgresSecretStore } from '@superoffice-webhooks/postgres'
 *
 * const secrets = createPostgresSecretStore(new pg.Pool({ connectionString: process.env.DATABASE_URL }))
 * const webhooks = createSuperOfficeWebhooks({ secret: secretsFromStore(secrets) })
 * ```
 */
export function createPostgresSecretStore(
  client: PgQueryable,
  options: PostgresSecretStoreOptions = {},
): SuperOfficeSecretStore {
  if (typeof (client as Partial<PgQueryable> | null)?.query !== 'function') {
    throw new TypeError('createPostgresSecretStore needs a node-postgres Pool or Client (with query(text, values)).')
  }
  const table = options.table ?? 'superoffice_webhooks_secrets'
  if (!NAME.test(table)) throw new TypeError(`createPostgresSecretStore: '${table}' is not a plain table name.`)
  const timeoutMs = options.commandTimeoutMs ?? 1000
  const run = boundedQuery(client, timeoutMs)
  const ensureTable = tableOnce(
    run,
    `CREATE TABLE IF NOT EXISTS ${table} (tenant text PRIMARY KEY, secrets text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    options.createTable === false,
  )
  return {
    async get(tenant) {
      await ensureTable()
      const { rows } = await run(`SELECT secrets FROM ${table} WHERE tenant = $1`, [tenant])
      const text = rows[0]?.secrets
      if (typeof text !== 'string') return []
      const parsed: unknown = JSON.parse(text)
      return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string' && s.length > 0) : []
    },
    async set(tenant, secrets) {
      checkSecrets(secrets)
      await ensureTable()
      await run(
        `INSERT INTO ${table} (tenant, secrets, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (tenant) DO UPDATE SET secrets = EXCLUDED.secrets, updated_at = now()`,
        [tenant, JSON.stringify(secrets)],
      )
    },
    async delete(tenant) {
      await ensureTable()
      await run(`DELETE FROM ${table} WHERE tenant = $1`, [tenant])
    },
    async tenants() {
      await ensureTable()
      const { rows } = await run(`SELECT tenant FROM ${table} ORDER BY tenant`, [])
      return rows.map((row) => String(row.tenant))
    },
  }
}

/** Queries bounded by `timeoutMs`: a pool waiting for a connection, or a stopped server, fails the call instead of hanging it. */
function boundedQuery(client: PgQueryable, timeoutMs: number) {
  type Result = Awaited<ReturnType<PgQueryable['query']>>
  return async (text: string, values: unknown[], late?: (result: Result) => void) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    let timedOut = false
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true
        reject(new Error(`PostgreSQL did not answer within ${timeoutMs} ms`))
      }, timeoutMs)
    })
    const sent = client.query(text, values)
    // `late` sees the result of a query that was given up on but still ran.
    if (late)
      sent.then(
        (result) => timedOut && late(result),
        () => {},
      )
    try {
      return await Promise.race([sent, timeout])
    } finally {
      clearTimeout(timer)
    }
  }
}

/**
 * Makes a table once (`skip` when migrations own it); a failure (the server down) is tried again
 * on the next call. Two instances creating it at once: PostgreSQL's IF NOT EXISTS is not atomic,
 * and the loser reports a duplicate (of the table, its row type or its catalog row); the table
 * exists either way.
 */
function tableOnce(run: ReturnType<typeof boundedQuery>, ddl: string, skip: boolean) {
  let created: Promise<void> | undefined = skip ? Promise.resolve() : undefined
  return () => {
    created ??= run(ddl, []).then(
      () => undefined,
      (error: unknown) => {
        const code = (error as { code?: unknown } | null)?.code
        if (code === '23505' || code === '42P07' || code === '42710') return
        created = undefined
        throw error
      },
    )
    return created
  }
}
