import { readFileSync } from 'node:fs'
import {
  type SuperOfficeEventName,
  schemaForEvent,
  signPayload,
  superOfficeEventNames,
  verifySignatureSync,
} from '@superoffice-webhooks/core'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import {
  dim,
  EXIT,
  errDim,
  errRed,
  green,
  parse,
  positiveInt,
  readStdin,
  red,
  secretFrom,
  UsageError,
  yellow,
} from './common.js'

interface SendResult {
  n: number
  event?: string
  eventId?: string
  status?: number
  ms: number
  body?: unknown
  error?: string
}

export async function send(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    event: { type: 'string' },
    file: { type: 'string' },
    secret: { type: 'string' },
    tenant: { type: 'string' },
    key: { type: 'string' },
    repeat: { type: 'string' },
    concurrency: { type: 'string' },
    timeout: { type: 'string' },
  })
  const [url, ...extra] = positionals
  if (!url) throw new UsageError('send needs the URL of the endpoint: send <url> --event sale.sold')
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'.`)
  let target: URL
  try {
    target = new URL(url)
  } catch {
    throw new UsageError(`'${url}' is not a URL; use e.g. http://localhost:3000/webhooks/superoffice`)
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new UsageError('the URL must be http or https.')
  if ((values.event === undefined) === (values.file === undefined)) {
    throw new UsageError('send needs exactly one of --event <name> or --file <body.json>.')
  }
  const secret = secretFrom(values.secret, false)
  const repeat = positiveInt(values.repeat, 'repeat', 1)
  const concurrency = positiveInt(values.concurrency, 'concurrency', 1)
  const timeout = positiveInt(values.timeout, 'timeout', 10_000)
  let key: number | undefined
  if (values.key !== undefined) {
    key = Number(values.key)
    if (!Number.isInteger(key)) throw new UsageError(`--key must be an integer, not '${values.key}'.`)
  }

  let fileBody: Buffer | undefined
  if (values.file !== undefined) {
    try {
      fileBody = values.file === '-' ? await readStdin() : readFileSync(values.file)
    } catch (error) {
      if (error instanceof UsageError) throw error
      throw new UsageError(
        `cannot read ${values.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      )
    }
  }
  const eventName = values.event
  if (eventName !== undefined) warnUnknownEvent(eventName)
  const build = (): { body: string | Buffer; headers: Record<string, string> } => {
    if (fileBody) {
      const { headers } = signedPayload(fileBody.toString('utf8'), {})
      if (secret) headers['X-SuperOffice-Signature'] = signPayload(fileBody, secret)
      return { body: fileBody, headers }
    }
    const overrides: Record<string, unknown> = {}
    if (values.tenant !== undefined) overrides.ContextIdentifier = values.tenant
    if (key !== undefined) overrides.PrimaryKey = key
    let event: object
    try {
      event = createTestEvent(eventName as string, overrides)
    } catch (error) {
      throw new UsageError((error as Error).message)
    }
    return signedPayload(event, secret ? { secret } : {})
  }
  // Build the first request before sending anything, so a bad --event fails as a usage error.
  const first = build()

  const json = values.json === true
  const results: SendResult[] = []
  const showProgress = !json && repeat > 20 && process.stderr.isTTY
  let next = 0
  let unreachable = 0
  const worker = async () => {
    for (;;) {
      const n = next++
      if (n >= repeat) return
      const { body, headers } = n === 0 ? first : build()
      const started = performance.now()
      const result: SendResult = { n: n + 1, ms: 0 }
      result.event = headers['X-SuperOffice-Event']
      result.eventId = headers['X-SuperOffice-EventId']
      try {
        const response = await fetch(target, {
          method: 'POST',
          body: typeof body === 'string' ? body : new Uint8Array(body),
          headers,
          signal: AbortSignal.timeout(timeout),
        })
        result.status = response.status
        const text = await response.text()
        try {
          result.body = JSON.parse(text)
        } catch {
          result.body = text.slice(0, 200)
        }
      } catch (error) {
        unreachable++
        result.error = describeFetchError(error, timeout)
      }
      result.ms = Math.round(performance.now() - started)
      results.push(result)
      if (showProgress) process.stderr.write(`\r${errDim(`sent ${results.length}/${repeat}`)}`)
      else if (!json) printResult(result)
      if (unreachable > 0 && results.every((r) => r.error)) return
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, repeat) }, worker))
  if (showProgress) process.stderr.write('\n')

  const byStatus: Record<string, number> = {}
  for (const r of results) {
    const label = r.status === undefined ? 'error' : String(r.status)
    byStatus[label] = (byStatus[label] ?? 0) + 1
  }
  const allOk = results.length === repeat && results.every((r) => r.status === 200)
  if (json) {
    console.log(JSON.stringify({ url: target.href, sent: results.length, byStatus, ok: allOk, results }))
  } else if (repeat > 1 || showProgress) {
    const summary = Object.entries(byStatus)
      .map(([status, count]) => `${count} × ${status}`)
      .join(', ')
    console.log(`${allOk ? green('all 200') : red('not all 200')}: ${summary} (${results.length} sent)`)
  }
  if (results.length > 0 && results.every((r) => r.error)) {
    if (!json) console.error(errRed(`cannot reach ${target.href}: ${results[0]?.error}`))
    return EXIT.unreachable
  }
  return allOk ? EXIT.ok : EXIT.failed
}

function printResult(r: SendResult): void {
  const status =
    r.status === undefined
      ? red('ERR')
      : r.status === 200
        ? green(String(r.status))
        : r.status < 500
          ? yellow(String(r.status))
          : red(String(r.status))
  const detail = r.error ?? JSON.stringify(r.body)
  console.log(`${status} ${r.event ?? '-'} ${dim(`id=${r.eventId ?? '-'} ${r.ms}ms`)} ${detail}`)
}

function describeFetchError(error: unknown, timeout: number): string {
  const err = error as { name?: string; cause?: { code?: string; message?: string }; message?: string }
  if (err.name === 'TimeoutError') return `no answer within ${timeout} ms`
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(error)
}

export async function sign(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { secret: { type: 'string' } })
  if (positionals.length > 0)
    throw new UsageError(`sign reads the body from standard input; unexpected '${positionals[0]}'.`)
  const secret = secretFrom(values.secret, true) as string
  const body = await readStdin()
  const signature = signPayload(body, secret)
  if (values.json) console.log(JSON.stringify({ signature, bytes: body.length }))
  else console.log(signature)
  return EXIT.ok
}

export async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { secret: { type: 'string' }, signature: { type: 'string' } })
  if (positionals.length > 0)
    throw new UsageError(`verify reads the body from standard input; unexpected '${positionals[0]}'.`)
  const secret = secretFrom(values.secret, true) as string
  if (values.signature === undefined)
    throw new UsageError('verify needs --signature <the X-SuperOffice-Signature value>.')
  const signature = values.signature.trim()
  const body = await readStdin()
  const valid = verifySignatureSync(body, signature, secret).valid
  const reason = valid ? undefined : explainMismatch(body, signature, secret)
  if (values.json) console.log(JSON.stringify({ valid, bytes: body.length, ...(reason ? { reason } : {}) }))
  else if (valid) console.log(green(`valid: the signature matches these ${body.length} bytes`))
  else console.log(`${red('invalid')}: ${reason}`)
  return valid ? EXIT.ok : EXIT.failed
}

/** Why a signature does not match: the usual mistakes, checked one by one. */
function explainMismatch(body: Buffer, signature: string, secret: string): string {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(signature)) {
    if (/^sha256=/i.test(signature)) return "SuperOffice signatures have no 'sha256=' prefix."
    if (/^[0-9a-f]{64}$/i.test(signature)) return 'this looks like hex; SuperOffice sends base64 (44 characters).'
    return `a SuperOffice signature is 44 characters of base64; this is ${signature.length} characters.`
  }
  const text = body.toString('utf8')
  const tries: [string, string | Buffer][] = [
    ['without the trailing newline', text.replace(/\r?\n$/, '')],
    ['without a UTF-8 BOM', text.replace(/^\uFEFF/, '')],
  ]
  try {
    const parsed = JSON.parse(text.replace(/^\uFEFF/, ''))
    tries.push(['as compact re-serialised JSON', JSON.stringify(parsed)])
  } catch {}
  for (const [label, candidate] of tries) {
    if (candidate !== text && signPayload(candidate, secret) === signature) {
      return `it matches the body ${label}: verify the exact bytes that were sent.`
    }
  }
  if (secret.trim() !== secret && signPayload(body, secret.trim()) === signature) {
    return 'it matches with the secret trimmed: the secret has stray white space.'
  }
  return 'it was made from other bytes or with another secret.'
}

export function events(args: string[]): number {
  const { values, positionals } = parse(args, {})
  if (positionals.length > 0) throw new UsageError(`events takes no arguments; unexpected '${positionals[0]}'.`)
  const names: SuperOfficeEventName[] = [...superOfficeEventNames]
  if (values.json) console.log(JSON.stringify(names))
  else console.log(names.join('\n'))
  return EXIT.ok
}

/**
 * A name that is neither documented nor of a recognised family (`list.*`, `y_*`, `webhook.*`) is
 * sent as a custom event, as SuperOffice allows; it is most often a typo, so say the closest name.
 */
function warnUnknownEvent(name: string): void {
  if (schemaForEvent(name).kind !== 'unknown') return
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const known of superOfficeEventNames) {
    const d = editDistance(name, known)
    if (d < bestDistance) {
      bestDistance = d
      best = known
    }
  }
  const hint =
    best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? ` Did you mean '${best}'?` : ''
  console.error(
    errDim(`warning: '${name}' is not a documented SuperOffice event; sending it as a custom event.${hint}`),
  )
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      )
    }
    previous = current
  }
  return previous[b.length] as number
}
