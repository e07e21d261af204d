import { createPrivateKey, type KeyObject } from 'node:crypto'

const XML_PARTS = { n: 'Modulus', e: 'Exponent', d: 'D', p: 'P', q: 'Q', dp: 'DP', dq: 'DQ', qi: 'InverseQ' } as const

/**
 * The app's RSA private key from what SuperOffice hands out (its RSA XML format,
 * `<RSAKeyValue><Modulus>…</Modulus>…</RSAKeyValue>`) or a PEM, as a Node `KeyObject`. The XML's
 * base64 parts become a JWK, which Node imports directly. Errors never quote the key.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * const key = loadSuperOfficePrivateKey(readFileSync('private.xml', 'utf8'))
 * ```
 */
export function loadSuperOfficePrivateKey(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') {
    if (key?.type !== 'private' || key.asymmetricKeyType !== 'rsa') {
      throw new TypeError('privateKey: the KeyObject is not an RSA private key.')
    }
    return key
  }
  const text = key.trim()
  if (text.startsWith('<')) return fromXml(text)
  try {
    const object = createPrivateKey(text)
    if (object.asymmetricKeyType !== 'rsa') throw new Error('not RSA')
    return object
  } catch {
    throw new TypeError(
      'privateKey is neither an RSA private key in PEM form (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----) nor SuperOffice RSA XML (<RSAKeyValue>).',
    )
  }
}

function fromXml(xml: string): KeyObject {
  if (!/^<RSAKeyValue>[\s\S]*<\/RSAKeyValue>$/.test(xml)) {
    throw new TypeError('privateKey looks like XML but is not an <RSAKeyValue> element.')
  }
  const jwk: Record<string, string> = { kty: 'RSA' }
  const missing: string[] = []
  for (const [field, tag] of Object.entries(XML_PARTS)) {
    const match = new RegExp(`<${tag}>\\s*([A-Za-z0-9+/=\\s]+?)\\s*</${tag}>`).exec(xml)
    if (!match?.[1]) {
      missing.push(tag)
      continue
    }
    jwk[field] = Buffer.from(match[1].replace(/\s+/g, ''), 'base64').toString('base64url')
  }
  if (missing.length > 0) {
    throw new TypeError(
      `privateKey: the RSA XML lacks ${missing.join(', ')}; it must be the private key (with D, P, Q…), not the public one.`,
    )
  }
  try {
    return createPrivateKey({ key: jwk, format: 'jwk' })
  } catch {
    throw new TypeError('privateKey: the RSA XML parts do not form a valid RSA private key.')
  }
}
