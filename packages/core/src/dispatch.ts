import { isThenable } from './parse.js'
import { compileSelector } from './routing.js'
import type { SuperOfficeAnyEvent } from './schemas.js'
import type { AnyHandler, SuperOfficeEventContext } from './types.js'

interface Route {
  selector: string
  match: (name: string) => boolean
  exact: boolean
  /** What runs: the handler, or a wrapper that runs it only for the fields it asked for. */
  handler: AnyHandler
  /** The handler as registered, for `off`. */
  registered: AnyHandler
}

/**
 * A handler that runs only when one of `fields` is in the event's `Changes` (case-insensitive, as
 * SuperOffice's field names come in database casing). Named as the handler, for log lines.
 */
function onlyWhenChanged(handler: AnyHandler, fields: readonly string[]): AnyHandler {
  if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== 'string' || f === '')) {
    throw new TypeError('on(..., { changed }): changed must be a non-empty list of field names.')
  }
  const wanted = new Set(fields.map((f) => f.toLowerCase()))
  const filtered: AnyHandler = (event, context) => {
    // A recovered event's changes are unknown: it may have changed any field.
    if ((context as { reconciled?: unknown } | undefined)?.reconciled !== undefined) return handler(event, context)
    const changes = (event as { Changes?: unknown }).Changes
    if (!Array.isArray(changes)) return undefined
    for (const change of changes)
      if (typeof change === 'string' && wanted.has(change.toLowerCase())) return handler(event, context)
    return undefined
  }
  Object.defineProperty(filtered, 'name', { value: handlerName(handler) === 'anonymous' ? '' : handlerName(handler) })
  if (!filtered.name && registeredAs.has(handler)) registeredAs.set(filtered, registeredAs.get(handler) as string)
  return filtered
}

/** The handlers of one event name: all of them, and those a tolerated mismatch may reach. */
export interface HandlerSet {
  all: AnyHandler[]
  /** Without the handlers registered for the exact name, which are typed for the documented shape. */
  loose: AnyHandler[]
}

/** A handler that threw or rejected, with the name it goes by in logs. */
export interface HandlerFailure {
  handler: string
  error: unknown
}

const CACHE_LIMIT = 512

/**
 * The dispatch step: the handler registry (`on`, `off`, `onAny`, `offAny`), the handlers of an
 * event name (cached, bounded), and running them.
 */
export function createDispatcher() {
  const routes: Route[] = []
  const anyHandlers: AnyHandler[] = []
  const cache = new Map<string, HandlerSet>()

  const handlersFor = (name: string): HandlerSet => {
    let set = cache.get(name)
    if (set) return set
    const isTest = name === 'test'
    const all: AnyHandler[] = []
    const loose: AnyHandler[] = []
    for (const route of routes) {
      // The test event reaches only handlers registered for it by name: saving a webhook in
      // SuperOffice must not trigger business logic.
      if (isTest ? route.exact && route.selector === 'test' : route.match(name)) {
        all.push(route.handler)
        if (!route.exact) loose.push(route.handler)
      }
    }
    if (!isTest) {
      all.push(...anyHandlers)
      loose.push(...anyHandlers)
    }
    set = { all, loose }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
    cache.set(name, set)
    return set
  }

  return {
    handlersFor,
    add(selectors: readonly string[], handler: AnyHandler, changed?: readonly string[]) {
      nameAnonymous(handler, `on(${selectors.map((s) => `'${s}'`).join(', ')})`)
      const runs = changed === undefined ? handler : onlyWhenChanged(handler, changed)
      for (const selector of selectors) {
        routes.push({
          selector,
          match: compileSelector(selector),
          exact: !selector.includes('*'),
          handler: runs,
          registered: handler,
        })
      }
      cache.clear()
    },
    remove(selectors: readonly string[], handler: AnyHandler) {
      for (const selector of selectors) {
        const index = routes.findIndex((r) => r.selector === selector && r.registered === handler)
        if (index !== -1) routes.splice(index, 1)
      }
      cache.clear()
    },
    addAny(handler: AnyHandler) {
      nameAnonymous(handler, 'onAny')
      anyHandlers.push(handler)
      cache.clear()
    },
    removeAny(handler: AnyHandler) {
      const index = anyHandlers.indexOf(handler)
      if (index !== -1) anyHandlers.splice(index, 1)
      cache.clear()
    },
  }
}

/**
 * Runs every handler, each once, and collects the failures. Synchronous when every handler is:
 * awaiting only what really returns a promise saves the microtask hops on the hot path.
 */
export function runHandlers(
  handlers: AnyHandler[],
  event: SuperOfficeAnyEvent,
  context: SuperOfficeEventContext,
): HandlerFailure[] | Promise<HandlerFailure[]> {
  // No array is made until something fails: the usual delivery allocates nothing here.
  let failures: HandlerFailure[] | undefined
  let pending: Promise<void>[] | undefined
  for (const handler of handlers) {
    try {
      const result = handler(event, context)
      if (isThenable(result)) {
        pending ??= []
        pending.push(
          Promise.resolve(result).then(
            () => {},
            (error: unknown) => {
              failures ??= []
              failures.push({ handler: handlerName(handler), error })
            },
          ),
        )
      }
    } catch (error) {
      failures ??= []
      failures.push({ handler: handlerName(handler), error })
    }
  }
  if (!pending) return failures ?? NO_FAILURES
  return Promise.all(pending).then(() => failures ?? NO_FAILURES)
}

const NO_FAILURES: HandlerFailure[] = Object.freeze([]) as unknown as HandlerFailure[]

// Where an anonymous handler was registered, so a failure names something a reader can find.
const registeredAs = new WeakMap<AnyHandler, string>()
function nameAnonymous(handler: AnyHandler, where: string): void {
  if (!handler.name && !registeredAs.has(handler)) registeredAs.set(handler, `anonymous ${where} handler`)
}

function handlerName(handler: AnyHandler): string {
  // Bound methods read `bound onSold`; Nest handlers are named `Class.method` by the module.
  return handler.name.replace(/^bound /, '') || registeredAs.get(handler) || 'anonymous'
}
