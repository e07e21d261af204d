import type { SuperOfficeAnyEvent } from './schemas.js'

/**
 * The echo rule (`ignoreChangesBy`): which events are the integration's own writes coming back.
 * `undefined` when the option is not set, so the pipeline pays nothing for it.
 */
export function createEchoRule(
  option:
    | readonly number[]
    | Readonly<Record<string, readonly number[]>>
    | ((event: SuperOfficeAnyEvent) => boolean)
    | undefined,
): ((event: SuperOfficeAnyEvent) => boolean) | undefined {
  if (option === undefined) return undefined
  if (typeof option === 'function') return option
  const by = (event: SuperOfficeAnyEvent) => (event as { ChangedByAssociateId?: unknown }).ChangedByAssociateId
  if (Array.isArray(option)) {
    const ids = idsOf(option, 'ignoreChangesBy')
    return (event) => {
      const id = by(event)
      return typeof id === 'number' && ids.has(id)
    }
  }
  if (typeof option !== 'object' || option === null) throw invalid()
  // Associate ids are per tenant: the integration's user 7 in one tenant is somebody else in
  // another, so each tenant's ids apply to its own events only.
  const byTenant = new Map<string, ReadonlySet<number>>()
  for (const [tenant, ids] of Object.entries(option)) {
    if (!Array.isArray(ids)) throw invalid()
    byTenant.set(tenant, idsOf(ids, `ignoreChangesBy['${tenant}']`))
  }
  return (event) => {
    const tenant = (event as { ContextIdentifier?: unknown }).ContextIdentifier
    const ids = typeof tenant === 'string' ? byTenant.get(tenant) : undefined
    const id = by(event)
    return ids !== undefined && typeof id === 'number' && ids.has(id)
  }
}

const invalid = (where = 'ignoreChangesBy') =>
  new TypeError(
    `${where} must be associate ids (integers), a map from tenant to associate ids, or a function of the event.`,
  )

function idsOf(ids: readonly unknown[], where: string): ReadonlySet<number> {
  if (ids.some((id) => !Number.isInteger(id))) throw invalid(where)
  return new Set(ids as number[])
}
