// Adds up the JSON reports of every vitest run and the Node 20 smoke run into one closing line.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
let passed = 0
let failed = 0
let skipped = 0
const reports = []
for (const group of ['packages', 'apps', 'bench', 'e2e']) {
  const dir = join(root, group)
  if (!existsSync(dir)) continue
  for (const name of readdirSync(dir)) {
    const folder = group === 'bench' || group === 'e2e' ? dir : join(dir, name)
    if (!existsSync(folder) || !statSync(folder).isDirectory()) continue
    // test-results.json, plus test-results-<variant>.json for a second run (core on the lowest zod).
    for (const report of readdirSync(folder).filter((f) => /^test-results(-[\w-]+)?\.json$/.test(f))) {
      const file = join(folder, report)
      if (reports.includes(file)) continue
      reports.push(file)
      const result = JSON.parse(readFileSync(file, 'utf8'))
      passed += result.numPassedTests ?? 0
      failed += result.numFailedTests ?? 0
      skipped += (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0)
    }
  }
}
const smoke = join(root, 'scripts', '.smoke-results.json')
if (existsSync(smoke)) {
  const s = JSON.parse(readFileSync(smoke, 'utf8'))
  passed += s.passed
  failed += s.failed
}
console.log(`\n${reports.length} vitest reports and the Node 20 smoke run`)
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
