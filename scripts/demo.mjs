// pnpm demo: starts the Koa example app, sends it every documented event type (plus a list event,
// a custom event, a duplicate, a bad signature and a body that is not JSON) from this one process
// with the testing kit (what the superoffice-webhooks CLI's `send` uses), and prints a table of
// the answers and of what the app's handlers got.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// Core's and the testing kit's builds, by path: the demo installs only the Koa example and the
// CLI, not this folder's own dependencies.
const load = (path) => import(pathToFileURL(join(root, path)).href)
const { superOfficeEventNames } = await load('packages/core/dist/index.js')
const { createTestEvent, signedPayload } = await load('packages/testing/dist/index.js')
const secret = 'demo-secret'

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address()
    s.close(() => resolve(port))
  })
})
// The app runs in its own process group, stopped with it however this script ends (a failure,
// Ctrl+C, a check that gives up on it).
const app = spawn(process.execPath, ['apps/koa-example/dist/server.js'], {
  cwd: root,
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SUPEROFFICE_WEBHOOK_SECRET: secret },
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
})
const stopApp = (signal = 'SIGKILL') => {
  try {
    process.kill(-app.pid, signal)
  } catch {}
}
process.on('exit', () => stopApp())
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    stopApp()
    process.exit(130)
  })
}
const appExited = new Promise((resolve) => app.once('exit', resolve))
// The app's own log (its start-up line, one line per refused delivery) is kept, and shown only
// when it does not start.
let appLog = ''
app.stderr.setEncoding('utf8').on('data', (chunk) => {
  appLog += chunk
})
const lines = []
app.stdout.setEncoding('utf8').on('data', (chunk) => lines.push(...chunk.split('\n').filter(Boolean)))
const base = `http://127.0.0.1:${port}`
// Waits for the app to answer, however slow the machine; it gives up only when the app exits.
for (;;) {
  if (app.exitCode !== null) throw new Error(`the Koa example did not start:\n${appLog}${lines.join('\n')}`)
  try {
    if ((await fetch(`${base}/healthz`)).ok) break
  } catch {}
  await new Promise((r) => setTimeout(r, 100))
}
const url = `${base}/webhooks/superoffice`

const rows = []
/** Posts one body (signed with `key` unless it is undefined) and notes the answer. */
const send = async (label, event, key, times = 1) => {
  const { body, headers } = signedPayload(event, key === undefined ? {} : { secret: key })
  for (let i = 0; i < times; i++) {
    const response = await fetch(url, { method: 'POST', body, headers })
    const answered = await response.json().catch(() => undefined)
    const answer = answered?.ok
      ? answered.duplicate
        ? 'ok, duplicate'
        : answered.test
          ? 'ok, test'
          : 'ok'
      : (answered?.error ?? '-')
    rows.push({
      label,
      status: String(response.status),
      answer,
      id: typeof event === 'object' ? event.EventId : undefined,
    })
  }
}

for (const name of [...superOfficeEventNames, 'list.category.created', 'acme.custom']) {
  await send(name, createTestEvent(name), secret)
}
await send('sale.sold, sent twice (same EventId)', createTestEvent('sale.sold', { PrimaryKey: 99 }), secret, 2)
await send('sale.sold, wrong secret', createTestEvent('sale.sold'), 'not-the-secret')
await send('sale.sold, unsigned', createTestEvent('sale.sold'), undefined)
await send('a body that is not JSON', '{"EventId": "broken", ', secret)

await new Promise((r) => setTimeout(r, 200))
const stats = await (await fetch(`${base}/stats`)).json()
stopApp('SIGTERM')
await appExited

const seen = new Set()
for (const row of rows) {
  const printed = lines.filter((l) => row.id && l.endsWith(`id=${row.id}`)).length
  // A redelivered EventId was printed for its first delivery, not for this one.
  row.handled = seen.has(row.id) ? '- (already handled)' : printed ? `printed${printed > 1 ? ` ×${printed}` : ''}` : '-'
  if (row.id) seen.add(row.id)
}
// One line per entity for the documented events (sale.created/changed/…), then the odd cases one
// by one: the table fits a screen.
const grouped = []
for (const row of rows) {
  const [entity, action] = row.label.split('.')
  const last = grouped.at(-1)
  const documented = superOfficeEventNames.includes(row.label) && row.label !== 'test'
  if (
    documented &&
    last?.entity === entity &&
    last.status === row.status &&
    last.answer === row.answer &&
    last.handled.startsWith('printed') === row.handled.startsWith('printed')
  ) {
    last.actions.push(action)
    last.count++
    continue
  }
  grouped.push({ ...row, entity: documented ? entity : undefined, actions: [action], count: 1 })
}
const table = grouped.map((g) => ({
  label: g.entity ? `${g.entity}.${g.actions.length > 1 ? `{${g.actions.join(',')}}` : g.actions[0]}` : g.label,
  status: g.count > 1 ? `${g.status} ×${g.count}` : g.status,
  answer: g.answer,
  handled: g.count > 1 && g.handled.startsWith('printed') ? `printed, 1 each` : g.handled,
}))
const head = { label: 'event', status: 'status', answer: 'answer', handled: 'handlers (log line)' }
const cols = Object.keys(head)
const width = Object.fromEntries(cols.map((c) => [c, Math.max(...[head, ...table].map((r) => String(r[c]).length))]))
const fmt = (r) =>
  cols
    .map((c) => String(r[c]).padEnd(width[c]))
    .join('  ')
    .trimEnd()
console.log(`\nThe Koa example app, sent ${rows.length} deliveries (signed as SuperOffice signs them):\n`)
console.log(fmt(head))
console.log(cols.map((c) => '-'.repeat(width[c])).join('  '))
for (const row of table) console.log(fmt(row))
console.log(
  `\nIts handlers: on('sale.sold') ran ${stats.sold}×, on('sale.*') ${stats.saleEvents}×, onAny ${stats.events}× (one log line each), e.g.`,
)
console.log(`  ${lines.find((l) => l.startsWith('superoffice event=sale.sold')) ?? lines[0] ?? ''}`)
console.log(`
The app has stopped. Next:
  bash scripts/dev.sh start koa-example     run it yourself (PORT, SUPEROFFICE_WEBHOOK_SECRET)
  node packages/cli/dist/cli.js send http://localhost:3000/webhooks/superoffice --event sale.sold --secret …
  node packages/cli/dist/cli.js simulate http://localhost:3000/webhooks/superoffice --secret … --report sim.html
  bash scripts/dev.sh test                  everything CI runs
Docs: README.md (quick start per framework), docs/README.md (every guide; bash scripts/dev.sh docs serves them as a site).`)
