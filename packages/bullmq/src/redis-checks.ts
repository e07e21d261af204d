import type { Redis } from 'ioredis'

/** What the inbox found out about its Redis at start. */
export interface RedisFacts {
  /** `maxmemory-policy`, or `undefined` when neither CONFIG nor INFO told it. */
  maxmemoryPolicy: string | undefined
  /** Whether AOF is on (`appendonly yes`), `undefined` when unknown. */
  appendOnly: boolean | undefined
  /** Whether RDB snapshots are configured (`save` not empty), `undefined` when unknown (INFO does not say). */
  snapshots: boolean | undefined
}

/**
 * Reads the settings the inbox's promises depend on. `CONFIG GET` first; managed services
 * (ElastiCache, Memorystore, Azure Cache…) often disable or rename CONFIG, so `INFO` is the
 * fall-back (it reports `maxmemory_policy` and `aof_enabled`).
 */
export async function readRedisFacts(client: Redis): Promise<RedisFacts> {
  const config = async (name: string): Promise<string | undefined> => {
    try {
      const reply = (await client.call('CONFIG', 'GET', name)) as unknown
      if (Array.isArray(reply) && reply.length >= 2) return String(reply[1])
      return undefined
    } catch (error) {
      if (isCommandRefused(error)) return undefined
      throw error
    }
  }
  let maxmemoryPolicy = await config('maxmemory-policy')
  const appendonly = await config('appendonly')
  const save = await config('save')
  let appendOnly = appendonly === undefined ? undefined : appendonly === 'yes'
  if (maxmemoryPolicy === undefined || appendOnly === undefined) {
    let info = ''
    try {
      info = `${await client.info('memory')}\n${await client.info('persistence')}`
    } catch (error) {
      if (!isCommandRefused(error)) throw error
    }
    maxmemoryPolicy ??= infoField(info, 'maxmemory_policy')
    const aof = infoField(info, 'aof_enabled')
    if (appendOnly === undefined && aof !== undefined) appendOnly = aof === '1'
  }
  return { maxmemoryPolicy, appendOnly, snapshots: save === undefined ? undefined : save.trim().length > 0 }
}

function infoField(info: string, name: string): string | undefined {
  const match = new RegExp(`^${name}:(.*)$`, 'm').exec(info)
  return match?.[1]?.trim()
}

/** A command the server refuses (disabled, renamed, no permission), as opposed to a lost connection. */
function isCommandRefused(error: unknown): boolean {
  // The server answered with an error reply (unknown or renamed command, NOPERM…): it is up.
  return error instanceof Error && error.name === 'ReplyError'
}

/**
 * The refusal of a Redis that may evict the inbox's jobs: an event answered 200 could vanish
 * before a worker runs it.
 */
export function evictionRefusal(policy: string): Error {
  return new Error(
    `The inbox's Redis may evict keys (maxmemory-policy ${policy}): a job stored and answered 200 could be deleted ` +
      'before a worker runs it. Set maxmemory-policy to noeviction (redis.conf, `CONFIG SET maxmemory-policy noeviction`, ' +
      "or your provider's parameter group or configuration), or pass { allowEvictingRedis: true } to " +
      'createBullMQInbox to accept that risk. See "The Redis the inbox needs" in docs/production.md.',
  )
}

/** The warning for a Redis that keeps the inbox in memory only, or undefined when it persists. */
export function persistenceWarning(facts: RedisFacts): string | undefined {
  if (facts.appendOnly === true) return undefined
  if (facts.appendOnly === false && facts.snapshots === false) {
    return (
      'the inbox Redis has no persistence (appendonly no, no save points): a Redis restart loses every queued ' +
      'event, each already answered 200. Turn on AOF (appendonly yes, appendfsync everysec); see "The Redis the ' +
      'inbox needs" in docs/production.md.'
    )
  }
  if (facts.appendOnly === false) {
    return (
      'the inbox Redis persists by RDB snapshots only (appendonly no): events queued since the last snapshot are ' +
      'lost if Redis crashes. AOF with appendfsync everysec loses at most a second; see docs/production.md.'
    )
  }
  return (
    'could not read the inbox Redis persistence settings (CONFIG and INFO refused): make sure AOF is on ' +
    '(appendonly yes, appendfsync everysec); see docs/production.md.'
  )
}
