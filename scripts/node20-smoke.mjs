// The published packages claim Node >= 20.19: run their built output on the machine's Node 20
// (SYSTEM_NODE, or /usr/bin/node) with node's own test runner. Vitest needs Node 22, so the
// smoke tests are plain .mjs/.cjs files that load dist/ through the packages' exports.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const resultsFile = join(here, '.smoke-results.json')
rmSync(resultsFile, { force: true })
const candidates = [process.env.SYSTEM_NODE, '/usr/bin/node', '/usr/local/bin/node'].filter(Boolean)
const node20 = candidates.find((bin) => {
  if (!existsSync(bin)) return false
  const version = spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()
  return version.startsWith('20.')
})
if (!node20) {
  const message = `!!! No Node 20 found (tried ${candidates.join(', ')}): built packages NOT tested on Node 20 !!!`
  if (process.env.CI) {
    console.error(message)
    process.exit(1)
  }
  console.warn(`\n${message}\n`)
  process.exit(0)
}
const dir = join(here, 'smoke')
const files = readdirSync(dir)
  .filter((f) => /\.test\.(mjs|cjs)$/.test(f))
  .map((f) => join(dir, f))
console.log(`Node 20 smoke tests on ${node20}: ${files.length} files`)
// A hung test (an open handle) must fail the run, not hold CI until its time limit.
const run = spawnSync(node20, ['--test', '--test-reporter=spec', '--test-timeout=60000', ...files], {
  encoding: 'utf8',
  timeout: 180_000,
})
process.stdout.write(run.stdout)
process.stderr.write(run.stderr)
const count = (label) => Number(run.stdout.match(new RegExp(`ℹ ${label} (\\d+)`))?.[1] ?? 0)
writeFileSync(resultsFile, JSON.stringify({ passed: count('pass'), failed: count('fail') }))
process.exit(run.status ?? 1)
