// The published packages claim Node >= 20.19 and are developed on Node 24: run their built output
// on the oldest and the newest line as well, with node's own test runner (vitest needs Node 22,
// so the smoke tests are plain .mjs/.cjs files that load dist/ through the packages' exports):
// - Node 20, the machine's own (SYSTEM_NODE, or /usr/bin/node);
// - Node 26, the Active LTS, from the npm registry's `node` package (cached beside dev.sh's tools).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const NODE_26 = '26.10.0'
const here = dirname(fileURLToPath(import.meta.url))
const resultsFile = join(here, '.smoke-results.json')
rmSync(resultsFile, { force: true })
const versionOf = (bin) => spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim() ?? ''

const loud = (message) => {
  if (process.env.CI) {
    console.error(message)
    process.exit(1)
  }
  console.warn(`\n${message}\n`)
}

const candidates = [process.env.SYSTEM_NODE, '/usr/bin/node', '/usr/local/bin/node'].filter(Boolean)
const node20 = candidates.find((bin) => existsSync(bin) && versionOf(bin).startsWith('20.'))
if (!node20) loud(`!!! No Node 20 found (tried ${candidates.join(', ')}): built packages NOT tested on Node 20 !!!`)

// Node 26 from npm, once per machine.
const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'superoffice-webhooks', `node-${NODE_26}`)
const node26 = join(cache, 'node_modules', 'node', 'bin', 'node')
if (!existsSync(node26)) {
  mkdirSync(cache, { recursive: true })
  const npm = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      cache,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      `node@${NODE_26}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 },
  )
  if (npm.status !== 0)
    loud(`!!! Node ${NODE_26} could not be installed from npm: built packages NOT tested on Node 26 !!!`)
}

const dir = join(here, 'smoke')
const files = readdirSync(dir)
  .filter((f) => /\.test\.(mjs|cjs)$/.test(f))
  .map((f) => join(dir, f))
let passed = 0
let failed = 0
let status = 0
for (const [label, bin] of [
  ['Node 20', node20],
  ['Node 26', existsSync(node26) ? node26 : undefined],
]) {
  if (!bin) continue
  console.log(`${label} smoke tests on ${bin} (${versionOf(bin)}): ${files.length} files`)
  // A hung test (an open handle) must fail the run, not hold CI until its time limit.
  const run = spawnSync(bin, ['--test', '--test-reporter=spec', '--test-timeout=60000', ...files], {
    encoding: 'utf8',
    timeout: 180_000,
  })
  process.stdout.write(run.stdout)
  process.stderr.write(run.stderr)
  const count = (name) => Number(run.stdout.match(new RegExp(`ℹ ${name} (\\d+)`))?.[1] ?? 0)
  passed += count('pass')
  failed += count('fail')
  if (run.status !== 0) status = run.status ?? 1
}
writeFileSync(resultsFile, JSON.stringify({ passed, failed }))
process.exit(status)
