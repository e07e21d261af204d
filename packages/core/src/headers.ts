/**
 * Request headers as adapters have them: a web `Headers`, or a plain object in any casing
 * (Node's `IncomingMessage.headers`, Koa's `ctx.headers`, a test's literal).
 */
export type HeadersLike =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | number | undefined>>

/**
 * Reads one header, case-insensitively. Repeated headers give their first value.
 *
 * @example
 * ```ts
 * getHeader({ 'X-SuperOffice-Event': 'sale.sold' }, 'x-superoffice-event') // 'sale.sold'
 * getHeader(new Headers({ 'x-superoffice-event': 'test' }), 'X-SuperOffice-Event') // 'test'
 * ```
 */
export function getHeader(headers: HeadersLike | undefined, name: string): string | undefined {
  if (!headers) return undefined
  if (typeof headers.get === 'function') {
    // A web Headers matches case-insensitively itself.
    return (headers as { get(name: string): string | null }).get(name) ?? undefined
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | number | undefined>>
  // The name as given first: the pipeline asks in lower case, and Node keeps headers in lower case.
  let value = record[name]
  if (value === undefined) {
    const lower = name.toLowerCase()
    if (lower !== name) value = record[lower]
    if (value === undefined) {
      for (const key in record) {
        if (key.length === lower.length && key.toLowerCase() === lower) {
          value = record[key]
          break
        }
      }
    }
  }
  if (value === undefined) return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  return value[0]
}
