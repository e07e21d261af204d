// What CI runs (`pnpm check`): every step in order, each one's output kept back unless it fails,
// so a green run prints one line a step and the closing test count, and a red one prints the
// failing step's own output. Turbo replays only the logs of failed tasks.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const steps = [
  ['biome (format and lint)', 'pnpm', ['exec', 'biome', 'check', '.']],
  ['changesets parse', 'pnpm', ['exec', 'changeset', 'status']],
  [
    'build, publint + attw, typecheck, tests',
    'pnpm',
    ['exec', 'turbo', 'run', 'build', 'lint', 'typecheck', 'test', '--output-logs=errors-only', '--continue'],
  ],
  ['the API reports match the built types (api-extractor)', 'node', ['scripts/api-report.mjs', '--check']],
  [
    'core on the lowest zod its range allows',
    'pnpm',
    ['--filter', '@superoffice-webhooks/core', 'run', 'test:zod-floor'],
  ],
  ["the demo (a new user's first run): its table, short, no warnings", 'node', ['scripts/demo-check.mjs']],
  ['README and docs snippets match docs/snippets', 'node', ['scripts/snippets.mjs', '--check']],
  ['relative links in the Markdown resolve (files and headings)', 'node', ['scripts/docs-links.mjs']],
  ['no library test reaches into apps/ (those suites live in e2e/)', 'node', ['scripts/test-homes.mjs']],
  [
    "the API carriers match SuperOffice's OpenAPI files (generator re-run)",
    'node',
    ['packages/api/scripts/generate-entities.mjs', '--check'],
  ],
  [
    "core's published JSON Schemas and OpenAPI document match its zod schemas",
    'node',
    ['scripts/schemas.mjs', '--check'],
  ],
  ["docs/events.md matches core's schemas", 'node', ['scripts/events-doc.mjs', '--check']],
  ['tarballs hold README, LICENSE and dist', 'node', ['scripts/pack-check.mjs']],
  ['built packages on Node 20 and Node 26', 'node', ['scripts/node-smoke.mjs']],
  ['the packed packages with the latest peers from npm (consumer smoke)', 'node', ['scripts/consumer-smoke.mjs']],
]

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('close', (code) => resolve({ code: code ?? 1, output }))
  })
}

// Every step runs even after one fails, so a red run names every failing step and still ends
// with the test count of whatever ran.
const failures = []
for (const [label, command, args] of steps) {
  const started = Date.now()
  const { code, output } = await run(command, args)
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  if (code !== 0) {
    console.log(`✗ ${label} (${seconds}s): ${command} ${args.join(' ')}\n`)
    console.log(output)
    failures.push(label)
    continue
  }
  // A loud skip (a server missing locally) must stay visible in a green run.
  const loud = output.split('\n').filter((line) => line.includes('!!!'))
  console.log(`✓ ${label} (${seconds}s)`)
  for (const line of [...new Set(loud)]) console.log(`  ${line.trim()}`)
}

const summary = await run('node', ['scripts/test-summary.mjs'])
process.stdout.write(summary.output)
if (failures.length > 0) {
  console.log(`\n${failures.length} step(s) failed:`)
  for (const label of failures) console.log(`  ✗ ${label}`)
  process.exit(1)
}
process.exit(summary.code)
