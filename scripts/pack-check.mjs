// Packs every published package (as `pnpm pack` would publish it, after the build CI has done) and
// checks the tarball: README.md, LICENSE (the repository's), package.json and the dist files its
// exports name. Also checks that `prepack` builds, so a pack never ships a stale or empty dist.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const license = readFileSync(join(root, 'LICENSE'), 'utf8')
const out = mkdtempSync(join(tmpdir(), 'superoffice-pack-'))
const problems = []
let packed = 0
for (const name of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', name)
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  if (pkg.private) continue
  if (pkg.scripts?.prepack !== 'pnpm run build') problems.push(`${pkg.name}: prepack must build`)
  if (readFileSync(join(dir, 'LICENSE'), 'utf8') !== license)
    problems.push(`${pkg.name}: LICENSE differs from the repository's`)
  // The build already ran in this CI job; --ignore-scripts skips the prepack rebuild.
  execFileSync('pnpm', ['pack', '--ignore-scripts', '--pack-destination', out], { cwd: dir, stdio: 'pipe' })
  const tarball = readdirSync(out).find(
    (f) => f.startsWith(pkg.name.replace('@', '').replace('/', '-')) && f.endsWith('.tgz'),
  )
  const files = execFileSync('tar', ['-tzf', join(out, tarball)], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
  // Every file the exports map and bin name, besides README, LICENSE and package.json.
  const named = new Set()
  const collect = (value) => {
    if (typeof value === 'string') {
      if (value.startsWith('./dist/') && !value.includes('*')) named.add(value.slice(2))
    } else if (value && typeof value === 'object') for (const v of Object.values(value)) collect(v)
  }
  collect(pkg.exports)
  const wanted = [
    'package/README.md',
    'package/LICENSE',
    'package/package.json',
    ...[...named].map((f) => `package/${f}`),
  ]
  for (const bin of Object.values(pkg.bin ?? {})) wanted.push(`package/${bin.replace(/^\.\//, '')}`)
  for (const file of wanted)
    if (!files.includes(file)) problems.push(`${pkg.name}: the tarball has no ${file.slice(8)}`)
  // Besides dist, a package may ship what its `files` names on purpose (core's published schemas).
  const shipped = (pkg.files ?? []).filter((f) => !['dist', 'README.md', 'LICENSE'].includes(f))
  const strays = files.filter(
    (f) =>
      !/^package\/(dist\/|README\.md$|LICENSE$|package\.json$)/.test(f) &&
      !shipped.some((dir) => f.startsWith(`package/${dir}/`)),
  )
  if (strays.length) problems.push(`${pkg.name}: unexpected files in the tarball: ${strays.join(', ')}`)
  packed++
}
rmSync(out, { recursive: true, force: true })
if (problems.length) {
  console.error(`pack check failed:\n${problems.map((p) => `- ${p}`).join('\n')}`)
  process.exit(1)
}
console.log(`pack check: ${packed} packages hold README.md, LICENSE, package.json and dist.`)
