import { readFileSync } from 'node:fs'
import { type ParseArgsConfig, parseArgs, styleText } from 'node:util'
import {
  type SuperOfficeEventName,
  signPayload,
  superOfficeEventNames,
  verifySignatureSync,
} from '@superoffice-webhooks/core'
import { createTestEvent } from './events.js'
import { signedPayload } from './request.js'

// From the package's own package.json (dist/cli.js sits one folder below it), so it never drifts.
const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version
const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const

const HELP = `superoffice-webhooks: try SuperOffice webhook endpoints and signatures without a tenant

Usage:
  superoffice-webhooks send <url> --event <name> [--secret S] [--tenant T] [--key N]
                            [--repeat N] [--concurrency C] [--timeout MS] [--json]
  superoffice-webhooks send <url> --file <body.json> [--secret S] [--repeat N] ...
  superoffice-webhooks sign [--secret S] < body.json
  superoffice-webhooks verify [--secret S] --signature <base64> < body.json
  superoffice-webhooks events [--json]

Options:
  --secret S        the webhook secret (default: $SUPEROFFICE_WEBHOOK_SECRET); send without it
                    posts unsigned requests
  --event NAME      build a fresh, valid event of this type (see 'events'); list and custom
                    names work too
  --file PATH       post this body byte for byte (use - for standard input)
  --tenant T        ContextIdentifier of built events (default Cust12345)
  --key N           PrimaryKey of built events
  --repeat N        send N requests (fresh EventIds with --event; the same bytes with --file)
  --concurrency C   requests in flight at once (default 1)
  --timeout MS      per request (default 10000)
  --json            machine-readable output
  --no-color        plain output (also NO_COLOR=1)

Exit codes: 0 all answered 200 / signature valid; 1 some answer was not 200 / signature invalid;
2 bad arguments; 3 the URL could not be reached.`

class UsageError extends Error {}

// styleText decides per stream: colour only on a terminal, and NO_COLOR, FORCE_COLOR and
// NODE_DISABLE_COLORS are honoured, so stderr is judged by stderr, not by stdout.
type Format = Parameters<typeof styleText>[0]
const noColor = process.argv.includes('--no-color')
const paint =
  (format: Format, stream: NodeJS.WriteStream = process.stdout) =>
  (text: string) =>
    noColor ? text : styleText(format, text, { stream })
const green = paint('green')
const red = paint('red')
const yellow = paint('yellow')
const dim = paint('dim')
const errRed = paint('red', process.stderr)
const errDim = paint('dim', process.stderr)

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP)
    return command === undefined ? EXIT.usage : EXIT.ok
  }
  if (command === '--version' || command === '-v') {
    console.log(VERSION)
    return EXIT.ok
  }
  switch (command) {
    case 'send':
      return send(rest)
    case 'sign':
      return sign(rest)
    case 'verify':
      return verify(rest)
    case 'events':
      return events(rest)
    default:
      throw new UsageError(`unknown command '${command}'. Commands: send, sign, verify, events.`)
  }
}

type CommonOptions = { json: { type: 'boolean' }; 'no-color': { type: 'boolean' } }

function parse<const T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, json: { type: 'boolean' }, 'no-color': { type: 'boolean' } } as T & CommonOptions,
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

function secretFrom(value: unknown, required: boolean): string | undefined {
  const secret = typeof value === 'string' ? value : process.env.SUPEROFFICE_WEBHOOK_SECRET
  if (required && !secret) throw new UsageError('no secret: pass --secret or set SUPEROFFICE_WEBHOOK_SECRET.')
  return secret || undefined
}

function positiveInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a whole number of at least 1, not '${value}'.`)
  return n
}

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) throw new UsageError('pipe the body on standard input, e.g. < body.json')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

interface SendResult {
  n: number
  event?: string
  eventId?: string
  status?: number
  ms: number
  body?: unknown
  error?: string
}

async function send(args: string[]): Promise<number> {
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

async function sign(args: string[]): Promise<number> {
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

async function verify(args: string[]): Promise<number> {
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

function events(args: string[]): number {
  const { values, positionals } = parse(args, {})
  if (positionals.length > 0) throw new UsageError(`events takes no arguments; unexpected '${positionals[0]}'.`)
  const names: SuperOfficeEventName[] = [...superOfficeEventNames]
  if (values.json) console.log(JSON.stringify(names))
  else console.log(names.join('\n'))
  return EXIT.ok
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${errRed('error')}: ${error.message}\nRun 'superoffice-webhooks --help' for usage.`)
      process.exitCode = EXIT.usage
    } else {
      console.error(error)
      process.exitCode = EXIT.failed
    }
  },
)
