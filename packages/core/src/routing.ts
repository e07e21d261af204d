import type {
  SuperOfficeAnyEvent,
  SuperOfficeEvent,
  SuperOfficeEventName,
  SuperOfficeExtraTableEvent,
  SuperOfficeExtraTableEventName,
  SuperOfficeListEvent,
  SuperOfficeListEventName,
  SuperOfficeUnknownEvent,
  SuperOfficeWebhookStateEvent,
  SuperOfficeWebhookStateEventName,
} from './schemas.js'

/**
 * Local wildcard routing (SuperOffice itself subscribes by exact name): `'sale.*'` for every event
 * of an entity, `'*.deleted'` for one action on every entity, `'*'` for every event but `test`.
 */
export type SuperOfficeEventPattern = `${string}.*` | `*.${string}` | '*'

/** What `on` accepts: a documented name, a pattern, or any other event name (custom events). */
export type SuperOfficeEventSelector = SuperOfficeEventName | SuperOfficeEventPattern | (string & {})

type KnownWithPrefix<P extends string> = SuperOfficeEvent<Extract<SuperOfficeEventName, `${P}.${string}`>>
type KnownWithAction<A extends string> = SuperOfficeEvent<Extract<SuperOfficeEventName, `${string}.${A}`>>

/**
 * The event type a handler receives for a name or pattern: `'sale.sold'` gives
 * `SuperOfficeEvent<'sale.sold'>`; `'sale.*'` the union of sale events (plus unknown `sale.…`
 * events, which wildcards also receive); a list name a list event; any other name an unknown event.
 *
 * @example
 * ```ts
 * type Sold = SuperOfficeEventFor<'sale.sold'>       // SuperOfficeEvent<'sale.sold'>
 * type Sales = SuperOfficeEventFor<'sale.*'>         // every sale event
 * ```
 */
export type SuperOfficeEventFor<S extends string> = S extends SuperOfficeEventName
  ? SuperOfficeEvent<S>
  : S extends '*'
    ? Exclude<SuperOfficeAnyEvent, SuperOfficeEvent<'test'>>
    : S extends `*.${infer A}`
      ? KnownWithAction<A> | SuperOfficeUnknownEvent<`${string}.${A}`>
      : S extends `${infer P}.*`
        ?
            | KnownWithPrefix<P>
            | (P extends 'list' ? SuperOfficeListEvent : never)
            | SuperOfficeUnknownEvent<`${P}.${string}`>
        : S extends SuperOfficeListEventName
          ? SuperOfficeListEvent
          : S extends SuperOfficeExtraTableEventName
            ? SuperOfficeExtraTableEvent
            : S extends SuperOfficeWebhookStateEventName
              ? SuperOfficeWebhookStateEvent
              : SuperOfficeUnknownEvent<S>

/**
 * Compiles a selector into a matcher. Exact names match themselves; `prefix.*` matches names that
 * start with `prefix.`; `*.action` names that end with `.action`; `*` every name.
 */
export function compileSelector(selector: string): (name: string) => boolean {
  if (typeof selector !== 'string' || selector.length === 0) {
    throw new TypeError('An event name or pattern must be a non-empty string.')
  }
  if (selector === '*') return () => true
  const star = selector.indexOf('*')
  if (star === -1) return (name) => name === selector
  if (selector.endsWith('.*') && star === selector.length - 1) {
    const prefix = selector.slice(0, -1)
    return (name) => name.startsWith(prefix)
  }
  if (selector.startsWith('*.') && selector.indexOf('*', 1) === -1) {
    const suffix = selector.slice(1)
    return (name) => name.endsWith(suffix)
  }
  throw new TypeError(`Unsupported event pattern "${selector}": use an exact name, "entity.*", "*.action" or "*".`)
}
