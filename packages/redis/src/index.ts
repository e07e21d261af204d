import type { SuperOfficeDedupeStore, SuperOfficeSecretStore } from '@superoffice-webhooks/core'
import { checkSecrets } from '@superoffice-webhooks/core/adapter'

/** An ioredis client (`new Redis(url)`), or anything with its `call`. */
export interface IoRedisLike {
  call(command: string, ...args: (string | number)[]): Promise<unknown>
}

/** A node-redis client (`createClient({ url })`, connected), or anything with its `sendCommand`. */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>
}

/** Options of {@link createRedisDedupeStore}. */
export interface RedisDedupeStoreOptions {
  /** Key prefix, so several apps can share one Redis. Default `superoffice-webhooks:`. */
  prefix?: string
  /**
   * Longest wait for one Redis command. Clients queue commands while reconnecting, so without a
   * bound an outage would hang every delivery; past it the store fails and core applies
   * `dedupe.onStoreError` (answer 500, or accept without a duplicate check). Default 1000 ms.
   */
  commandTimeoutMs?: number
}

// Deletes the key only while it still holds this instance's claim: after a claim expired and
// another instance took over, a late failure must not free the other instance's claim.
const RELEASE_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

/**
 * A dedupe store on Redis for apps on several instances: an atomic claim with expiry
 * (`SET NX PX`), release on failure (only of this instance's own claim), completion with the
 * long TTL. Works with ioredis and node-redis clients; you create, connect and close the client.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
 * import { createRedisDedupeStore } from '@superoffice-webhooks/redis'
 *
 * const webhooks = createSuperOfficeWebhooks({
 *   secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
 *   dedupe: { store: createRedisDedupeStore(new Redis(process.env.REDIS_URL!)), onStoreError: 'refuse' },
 * })
 * ```
 */
export function createRedisDedupeStore(
  client: IoRedisLike | NodeRedisLike,
  options: RedisDedupeStoreOptions = {},
): SuperOfficeDedupeStore {
  const prefix = options.prefix ?? 'superoffice-webhooks:'
  const timeoutMs = options.commandTimeoutMs ?? 1000
  const send = commandSender(client)
  const tokens = new Map<string, string>()

  const run = bounded(send, timeoutMs)

  return {
    async claim(key, ttlMs) {
      const token = `claimed:${globalThis.crypto.randomUUID()}`
      // A SET given up on may still run (Redis paused or overloaded) after the pipeline answered
      // 500. Its release goes right behind it on the same connection, so Redis runs it next and
      // the claim never outlives that 500: SuperOffice's retry is handled, not taken for a
      // duplicate. (A SET that never ran leaves the release nothing to free.)
      const set = ['SET', prefix + key, token, 'PX', String(Math.ceil(ttlMs)), 'NX']
      const reply = await run(set, () => {
        run(['EVAL', RELEASE_SCRIPT, '1', prefix + key, token]).catch(() => {})
      })
      if (reply !== 'OK') return false
      tokens.set(key, token)
      return true
    },
    async complete(key, ttlMs) {
      tokens.delete(key)
      await run(['SET', prefix + key, 'done', 'PX', String(Math.ceil(ttlMs))])
    },
    async release(key) {
      const token = tokens.get(key)
      tokens.delete(key)
      if (token) await run(['EVAL', RELEASE_SCRIPT, '1', prefix + key, token])
    },
  }
}

function commandSender(client: IoRedisLike | NodeRedisLike): (args: string[]) => Promise<unknown> {
  if (typeof (client as IoRedisLike).call === 'function') {
    const io = client as IoRedisLike
    return ([command, ...args]) => io.call(command as string, ...args)
  }
  if (typeof (client as NodeRedisLike).sendCommand === 'function') {
    const node = client as NodeRedisLike
    return (args) => node.sendCommand(args)
  }
  throw new TypeError('createRedisDedupeStore needs an ioredis client or a connected node-redis client.')
}

/**
 * Options of {@link createRedisSecretStore}.
 *
 * @example
 * ```ts
 * const options: RedisSecretStoreOptions = { prefix: 'crm-sync:', commandTimeoutMs: 1000 }
 * ```
 */
export interface RedisSecretStoreOptions {
  /** Key prefix, so several apps can share one Redis. Default `superoffice-webhooks:`. */
  prefix?: string
  /** Longest wait for one Redis command; past it the call fails (a delivery is answered 500). Default 1000 ms. */
  commandTimeoutMs?: number
}

/**
 * Each tenant's webhook secrets in Redis (a key per tenant holding its secrets, newest first, and
 * a set of the tenants), shared by every instance: `ensureTenantWebhooks` writes them, the
 * receiver reads them with `secretsFromStore(store)`. The secrets are stored as they are: give the
 * Redis the protection you give other credentials (AUTH, TLS, no public port).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createSuperOfficeWebhooks, secretsFromStore } from '@superoffice-webhooks/core'
 * import { createRedisSecretStore } from '@superoffice-webhooks/redis'
 *
 * const secrets = createRedisSecretStore(new Redis(process.env.REDIS_URL!))
 * const webhooks = createSuperOfficeWebhooks({ secret: secretsFromStore(secrets) })
 * ```
 */
export function createRedisSecretStore(
  client: IoRedisLike | NodeRedisLike,
  options: RedisSecretStoreOptions = {},
): SuperOfficeSecretStore {
  const prefix = options.prefix ?? 'superoffice-webhooks:'
  const timeoutMs = options.commandTimeoutMs ?? 1000
  const send = commandSender(client)
  const run = bounded(send, timeoutMs)
  const key = (tenant: string) => `${prefix}secret:${tenant}`
  const index = `${prefix}secret-tenants`
  return {
    async get(tenant) {
      const text = await run(['GET', key(tenant)])
      if (typeof text !== 'string') return []
      const parsed: unknown = JSON.parse(text)
      return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string' && s.length > 0) : []
    },
    async set(tenant, secrets) {
      checkSecrets(secrets)
      await run(['SET', key(tenant), JSON.stringify(secrets)])
      await run(['SADD', index, tenant])
    },
    async delete(tenant) {
      await run(['DEL', key(tenant)])
      await run(['SREM', index, tenant])
    },
    async tenants() {
      const members = await run(['SMEMBERS', index])
      return Array.isArray(members) ? members.map(String) : []
    },
  }
}

/**
 * Commands bounded by `timeoutMs`: clients queue commands while reconnecting, so without a bound
 * an outage would hang every call.
 */
function bounded(send: (args: string[]) => Promise<unknown>, timeoutMs: number) {
  return (args: string[], onGiveUp?: () => void): Promise<unknown> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onGiveUp?.()
        reject(new Error(`Redis did not answer ${args[0]} within ${timeoutMs} ms`))
      }, timeoutMs)
    })
    return Promise.race([send(args), timeout]).finally(() => clearTimeout(timer))
  }
}
