// CI's check of the demo a new user runs first (`bash scripts/dev.sh demo` ends with this script):
// it runs, every documented event is answered 200 and handled, the bad deliveries get their
// status, and it stays short (dev.sh adds four lines of its own to what is counted here).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
// The demo and the app it starts run in their own process group: a demo that hangs is stopped
// with everything it started (a generous guard: the check is about its output, not its speed).
const demo = spawn(process.execPath, ['scripts/demo.mjs'], {
  cwd: root,
  detached: true,
  stdio: ['ignore', 'pipe', 'pipe'],
})
const killGroup = () => {
  try {
    process.kill(-demo.pid, 'SIGKILL')
  } catch {}
}
process.on('exit', killGroup)
const guard = setTimeout(killGroup, 10 * 60_000)
let out = ''
demo.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk))
demo.stderr.setEncoding('utf8').on('data', (chunk) => (out += chunk))
const run = await new Promise((resolve) => demo.once('close', (status, signal) => resolve({ status, signal })))
clearTimeout(guard)
killGroup()
const lines = out.trimEnd().split('\n')
const problems = []
if (run.status !== 0) problems.push(run.signal ? `stopped by ${run.signal} after 10 minutes` : `exit ${run.status}`)
if (lines.length > 55) problems.push(`${lines.length} lines (at most 55, so the demo stays under 60)`)
for (const [row, pattern] of [
  ['every sale event', /^sale\.\{created,changed,deleted,sold,lost,completed\}\s+200 ×6\s+ok\s+printed, 1 each$/m],
  ['the test event', /^test\s+200\s+ok, test\s+-$/m],
  ['a duplicate', /^sale\.sold, sent twice \(same EventId\)\s+200\s+ok, duplicate\s+- \(already handled\)$/m],
  ['a wrong secret', /^sale\.sold, wrong secret\s+401\s+signature_invalid\s+-$/m],
  ['an unsigned delivery', /^sale\.sold, unsigned\s+401\s+signature_missing\s+-$/m],
  ['a body that is not JSON', /^a body that is not JSON\s+400\s+invalid_json\s+-$/m],
  ['what to try next', /^The app has stopped\. Next:$/m],
]) {
  if (!pattern.test(out)) problems.push(`no row for ${row}`)
}
if (/warn|deprecat/i.test(out)) problems.push('a warning in the output')
if (problems.length > 0) {
  console.error(`The demo's output is not what a new user should see: ${problems.join('; ')}\n\n${out}`)
  process.exit(1)
}
console.log(`demo: ${lines.length} lines, every row as expected`)
