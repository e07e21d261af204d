import type { SuperOfficeAnyEvent } from './schemas.js'

/**
 * The echo rule (`ignoreChangesBy`): which events are the integration's own writes coming back.
 * `undefined` when the option is not set, so the pipeline pays nothing for it.
 */
export function createEchoRule(
  option: readonly number[] | ((event: SuperOfficeAnyEvent) => boolean) | undefined,
): ((event: SuperOfficeAnyEvent) => boolean) | undefined {
  if (option === undefined) return undefined
  if (typeof option === 'function') return option
  if (!Array.isArray(option) || option.some((id) => !Number.isInteger(id))) {
    throw new TypeError('ignoreChangesBy must be associate ids (integers) or a function of the event.')
  }
  const ids = new Set(option)
  return (event) => {
    const by = (event as { ChangedByAssociateId?: unknown }).ChangedByAssociateId
    return typeof by === 'number' && ids.has(by)
  }
}
