// A byte scanner for one top-level string of a JSON body, without parsing it: how the signature
// step finds the tenant a body claims before its signature is checked.
import type { RawBody } from './signature.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * The string value of a top-level key of a JSON object, found by one pass over the bytes that
 * tracks only nesting depth and string boundaries: no parse, no allocation but the value. Linear
 * in the body size and stops at the key, which SuperOffice sends near the start. Malformed input
 * gives `undefined` (the signature check then refuses it).
 *
 * @example
 * ```ts
 * readTopLevelString('{"ContextIdentifier":"Cust1"}', encoder.encode('"ContextIdentifier"')) // 'Cust1'
 * ```
 */
export function readTopLevelString(rawBody: RawBody, quotedKey: Uint8Array): string | undefined {
  const bytes = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody
  // A native search first: a body without the key at all (a flood of junk) costs no byte loop.
  if (hasBuffer && toBuffer(bytes).indexOf(quotedKey) === -1) return undefined
  const n = bytes.length
  let depth = 0
  let i = 0
  while (i < n) {
    const c = bytes[i] as number
    if (c === QUOTE) {
      const start = i
      i = skipString(bytes, i + 1)
      if (i < 0) return undefined
      if (depth === 1 && i - start === quotedKey.length && sameBytes(bytes, start, quotedKey)) {
        let j = skipSpace(bytes, i)
        if (bytes[j] !== 0x3a) continue
        j = skipSpace(bytes, j + 1)
        if (bytes[j] !== QUOTE) return undefined
        const end = skipString(bytes, j + 1)
        if (end < 0) return undefined
        const ascii = plainAscii(bytes, j + 1, end - 1)
        if (ascii !== undefined) return ascii
        try {
          const value: unknown = JSON.parse(decoder.decode(bytes.subarray(j, end)))
          return typeof value === 'string' ? value : undefined
        } catch {
          return undefined
        }
      }
      continue
    }
    if (c === 0x7b || c === 0x5b) depth++
    else if (c === 0x7d || c === 0x5d) depth--
    i++
  }
  return undefined
}

const hasBuffer = typeof Buffer === 'function'
const toBuffer = (bytes: Uint8Array) =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** Index just past the closing quote of a string whose content starts at `i`, or -1. */
function skipString(bytes: Uint8Array, i: number): number {
  // A plain loop: strings here are short, and Buffer#indexOf costs more per call than it saves.
  const n = bytes.length
  while (i < n) {
    const c = bytes[i]
    if (c === QUOTE) return i + 1
    i += c === BACKSLASH ? 2 : 1
  }
  return -1
}

/** The bytes as a string when they are printable ASCII without escapes (a tenant id always is). */
function plainAscii(bytes: Uint8Array, from: number, to: number): string | undefined {
  if (to - from > 256) return undefined
  let out = ''
  for (let k = from; k < to; k++) {
    const c = bytes[k] as number
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) return undefined
    out += String.fromCharCode(c)
  }
  return out
}

function skipSpace(bytes: Uint8Array, i: number): number {
  while (i < bytes.length) {
    const c = bytes[i]
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
    i++
  }
  return i
}

function sameBytes(bytes: Uint8Array, at: number, expected: Uint8Array): boolean {
  for (let k = 0; k < expected.length; k++) if (bytes[at + k] !== expected[k]) return false
  return true
}
