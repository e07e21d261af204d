// SuperOffice Timestamps compared at their full precision (tenths of a microsecond).

/**
 * Whether a SuperOffice `Timestamp` (`2018-04-24T08:18:42.089895Z`, up to 7 fractional digits) is
 * later than another time: compared to the tenth of a microsecond, since two changes of one row
 * can fall in the same millisecond. `true` when the other is missing or unreadable (nothing to
 * be stale against); `false` when this event's own Timestamp is unreadable. What
 * `context.isNewerThan` runs, and what an inbox merging a row's events keeps the newest by.
 *
 * @example
 * ```ts
 * isNewerTimestamp('2026-11-25T10:00:00.1234567Z', '2026-11-25T10:00:00.1234566Z') // true
 * ```
 */
export function isNewerTimestamp(timestamp: unknown, other: string | Date | null | undefined): boolean {
  const mine = ticks(timestamp)
  if (mine === undefined) return false
  const theirs = other instanceof Date ? BigInt(other.getTime()) * 10_000n : ticks(other)
  return theirs === undefined || mine > theirs
}

/** ISO 8601 time to 100-ns ticks since the epoch (BigInt, so the precision survives). */
function ticks(value: unknown): bigint | undefined {
  if (typeof value !== 'string') return undefined
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim())
  if (!match) return undefined
  const ms = Date.parse(`${match[1]}${match[3] ?? 'Z'}`)
  if (Number.isNaN(ms)) return undefined
  const fraction = (match[2] ?? '').slice(0, 7).padEnd(7, '0')
  return BigInt(ms) * 10_000n + BigInt(fraction)
}
