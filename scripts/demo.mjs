// pnpm demo: signs a sample of every documented event with a demo secret, runs each through the
// receiving pipeline in-process, then a tampered body and a duplicate, and prints what happened.
import { createSuperOfficeWebhooks, signPayload, superOfficeEventNames } from '@superoffice-webhooks/core'

const secret = 'demo-secret'
const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
const handled = new Map()
const note = (label) => (event) => handled.set(event.EventId, label)
webhooks.on('sale.sold', note("on('sale.sold')"))
webhooks.on('contact.*', note("on('contact.*')"))
webhooks.on('test', note("on('test')"))
webhooks.onAny((event) => handled.has(event.EventId) || handled.set(event.EventId, 'onAny'))

let n = 0
const sample = (Event, extra = {}) => {
  n++
  return {
    EventId: `de000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    Timestamp: new Date().toISOString(),
    Changes: [],
    Event,
    PrimaryKey: Event === 'test' ? 0 : 100 + n,
    Entity: Event === 'test' ? 'test' : Event.slice(0, Event.lastIndexOf('.')),
    ContextIdentifier: 'Cust12345',
    ChangedByAssociateId: 5,
    WebhookName: 'Demo webhook',
    ...extra,
  }
}

const rows = []
const send = async (label, body, signature = signPayload(body, secret)) => {
  const answer = await webhooks.handle({
    rawBody: Buffer.from(body),
    headers: { 'X-SuperOffice-Signature': signature },
  })
  const id = answer.event?.EventId
  rows.push([
    label,
    String(answer.status),
    answer.body.ok ? (answer.body.duplicate ? 'duplicate' : 'ok') : answer.body.error,
    (id && handled.get(id)) || '-',
  ])
}

for (const name of [...superOfficeEventNames, 'list.category.created', 'acme.custom']) {
  await send(name, JSON.stringify(sample(name, name.startsWith('list.') ? { Entity: 'list.category' } : {})))
}
const sold = JSON.stringify(sample('sale.sold'))
await send('sale.sold (first)', sold)
await send('sale.sold (same EventId again)', sold)
await send('sale.sold (tampered body)', sold.replace('"PrimaryKey":', '"PrimaryKey":9'), signPayload(sold, secret))
await send('sale.sold (no signature)', sold, '')
await send('not JSON', '{"EventId":')

const widths = [0, 1, 2, 3].map((i) =>
  Math.max(...[['event', 'status', 'answer', 'handled by'], ...rows].map((r) => r[i].length)),
)
const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')
console.log(line(['event', 'status', 'answer', 'handled by']))
console.log(widths.map((w) => '-'.repeat(w)).join('  '))
for (const row of rows) console.log(line(row))
