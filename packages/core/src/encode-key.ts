const LONE = '[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]'
const HAS_LONE_SURROGATE = new RegExp(LONE)
const LONE_SURROGATE = new RegExp(LONE, 'g')

/**
 * `encodeURIComponent` for any string. It throws on a lone UTF-16 surrogate, which a signed body
 * may hold (`"\ud800"` is valid JSON); those become `%uD800`, text that `encodeURIComponent` never
 * produces (it writes a literal `%` as `%25`), so the encoding stays injective and every
 * well-formed string keeps the encoding it always had.
 *
 * @example
 * ```ts
 * encodeKeyPart('Cust:1') // 'Cust%3A1'
 * encodeKeyPart('e\uD800') // 'e%uD800'
 * ```
 */
export function encodeKeyPart(value: string): string {
  if (!hasLoneSurrogate(value)) return encodeURIComponent(value)
  let out = ''
  let last = 0
  for (const match of value.matchAll(LONE_SURROGATE)) {
    out += encodeURIComponent(value.slice(last, match.index))
    out += `%u${(match[0].charCodeAt(0) as number).toString(16).toUpperCase()}`
    last = match.index + 1
  }
  return out + encodeURIComponent(value.slice(last))
}

/** Whether a string holds a UTF-16 surrogate without its pair (text no UTF-8 writer keeps). */
export function hasLoneSurrogate(value: string): boolean {
  return HAS_LONE_SURROGATE.test(value)
}
