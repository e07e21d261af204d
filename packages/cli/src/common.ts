import { readFileSync } from 'node:fs'
import { type ParseArgsConfig, parseArgs, styleText } from 'node:util'

// From the package's own package.json (dist/cli.js sits one folder below it), so it never drifts.
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const

export class UsageError extends Error {}

// styleText decides per stream: colour only on a terminal, and NO_COLOR, FORCE_COLOR and
// NODE_DISABLE_COLORS are honoured, so stderr is judged by stderr, not by stdout.
type Format = Parameters<typeof styleText>[0]
const noColor = process.argv.includes('--no-color')
const paint =
  (format: Format, stream: NodeJS.WriteStream = process.stdout) =>
  (text: string) =>
    noColor ? text : styleText(format, text, { stream })
export const green = paint('green')
export const red = paint('red')
export const yellow = paint('yellow')
export const dim = paint('dim')
export const errRed = paint('red', process.stderr)
export const errDim = paint('dim', process.stderr)

type CommonOptions = { json: { type: 'boolean' }; 'no-color': { type: 'boolean' } }

export function parse<const T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
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

export function secretFrom(value: unknown, required: boolean): string | undefined {
  const secret = typeof value === 'string' ? value : process.env.SUPEROFFICE_WEBHOOK_SECRET
  if (required && !secret) throw new UsageError('no secret: pass --secret or set SUPEROFFICE_WEBHOOK_SECRET.')
  return secret || undefined
}

export function positiveInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a whole number of at least 1, not '${value}'.`)
  return n
}

export async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) throw new UsageError('pipe the body on standard input, e.g. < body.json')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/**
 * Text from a server, safe for a terminal: control characters (escape sequences that could move
 * the cursor, rewrite the screen or set the title) are shown escaped, `\x1b` rather than acted on.
 */
export function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
}
