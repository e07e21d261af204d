// Library tests stay libraries' tests: a published package's tests (and its sources) never reach
// into apps/ (a path, an app's package, or the app harness). Suites that start the example apps
// live in e2e/, and the apps test themselves.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const apps = readdirSync(join(root, 'apps')).filter((name) => statSync(join(root, 'apps', name)).isDirectory())
const appPackages = apps.map((dir) => JSON.parse(readFileSync(join(root, 'apps', dir, 'package.json'), 'utf8')).name)
const reaches = [
  { what: 'a path into apps/', test: (text) => /['"`][^'"`\n]*\bapps\/[\w-]+/.test(text) },
  { what: 'the app harness (startExampleApp)', test: (text) => /\bstartExampleApp\b/.test(text) },
  {
    what: 'the app kit (test-utils/apps)',
    test: (text) => /['"]@superoffice-webhooks\/test-utils\/apps['"]/.test(text),
  },
  {
    what: "an app's package",
    test: (text) => appPackages.some((name) => new RegExp(`from ['"]${name}(/[^'"]*)?['"]`).test(text)),
  },
]

/** Every .ts/.mts/.js/.mjs file under `dir`, skipping dependencies and build output. */
function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', '.turbo'].includes(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* files(path)
    else if (/\.(m?ts|m?js|tsx)$/.test(entry.name)) yield path
  }
}

const found = []
let checked = 0
for (const name of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', name)
  const manifest = join(dir, 'package.json')
  try {
    // Only the published libraries: the private test kit is what starts apps for e2e/ and the apps.
    if (JSON.parse(readFileSync(manifest, 'utf8')).private) continue
  } catch {
    continue
  }
  for (const folder of ['test', 'src']) {
    let base
    try {
      base = statSync(join(dir, folder)).isDirectory() ? join(dir, folder) : undefined
    } catch {
      base = undefined
    }
    if (!base) continue
    for (const file of files(base)) {
      checked++
      // Comments may name an app; code may not reach one.
      const text = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
        .join('\n')
      for (const reach of reaches) if (reach.test(text)) found.push(`${relative(root, file)}: ${reach.what}`)
    }
  }
}
if (found.length > 0) {
  console.error('Library code reaches into apps/ (move the suite to e2e/):')
  for (const line of found) console.error(`  ${line}`)
  process.exit(1)
}
console.log(`${checked} files of the published packages reach into no app (suites that start apps live in e2e/).`)
