import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** ../shared beside the checkout (CI always has it); SUPEROFFICE_SHARED_DIR overrides. */
export const sharedDir = resolve(process.env.SUPEROFFICE_SHARED_DIR ?? join(here, '../../../../shared'))
export const hasShared = existsSync(join(sharedDir, 'superoffice', 'PROTOCOL.md'))
if (!hasShared) {
  if (process.env.CI) throw new Error(`../shared is missing at ${sharedDir}; CI must have it beside the checkout.`)
  console.warn(`\n!!! SKIPPING the SuperOffice conformance corpus: ${sharedDir} not found !!!\n`)
}

/** SuperOffice's documentation examples, read at test time (never copied into the project). */
export function docPayloads(): { name: string; text: string }[] {
  if (!hasShared) return []
  const dir = join(sharedDir, 'superoffice', 'payloads')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), text: readFileSync(join(dir, f), 'utf8') }))
}

export function signatureVectors(): { name: string; secret: string; body: string; signature: string }[] {
  if (!hasShared) return []
  return JSON.parse(readFileSync(join(sharedDir, 'superoffice', 'signature-vectors.json'), 'utf8')).vectors
}

let counter = 0
/** The project's own fixture: a plausible envelope for any event name. */
export function envelope(event: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++
  const entity = event === 'test' ? 'test' : event.slice(0, event.lastIndexOf('.'))
  return {
    EventId: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    Timestamp: new Date().toISOString().replace('Z', '1234Z'),
    Changes: event.endsWith('.deleted') ? [] : ['updated', 'updated_associate_id'],
    Event: event,
    PrimaryKey: event === 'test' ? 0 : 1000 + counter,
    Entity: entity,
    ContextIdentifier: 'Cust90210',
    ChangedByAssociateId: 7,
    WebhookName: 'Fixture webhook',
    ...overrides,
  }
}
