// `bash scripts/dev.sh pack [folder]`: every published package as the tarball `npm publish` would
// upload, in one folder (default ./tarballs), for installing before the first release. Prints,
// per package, the tarballs to install together (its workspace dependencies).
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = resolve(process.argv[2] ?? join(root, 'tarballs'))
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir: join(root, 'packages', dir),
    pkg: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
  }))
  .filter(({ pkg }) => !pkg.private)

// turbo rebuilds only what changed since its last build (a cache hit replays in a moment), so
// the tarballs hold current builds and nothing is built twice; pnpm pack's own prepack build
// is skipped.
const build = spawnSync(
  'pnpm',
  [
    'exec',
    'turbo',
    'run',
    'build',
    '--output-logs=errors-only',
    ...packages.flatMap(({ pkg }) => ['--filter', pkg.name]),
  ],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
)
if (build.status !== 0) process.exit(build.status ?? 1)

mkdirSync(out, { recursive: true })
const files = new Map()
for (const { pkg } of packages) {
  const file = join(out, `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}.tgz`)
  rmSync(file, { force: true })
  files.set(pkg.name, file)
}
// One pnpm for all of them (it rewrites workspace: ranges to the versions, as publishing does).
execFileSync(
  'pnpm',
  [...packages.flatMap(({ pkg }) => ['--filter', pkg.name]), 'pack', '--ignore-scripts', '--pack-destination', out],
  { cwd: root, stdio: 'pipe' },
)

/** A package and every workspace package it depends on, as tarball paths. */
const closure = (name, seen = new Set()) => {
  if (seen.has(name)) return seen
  seen.add(name)
  const { pkg } = packages.find((p) => p.pkg.name === name)
  for (const dep of Object.keys(pkg.dependencies ?? {})) if (files.has(dep)) closure(dep, seen)
  return seen
}

console.log(`${files.size} tarballs in ${out}\n\nInstall a package with the tarballs it needs, in one command:`)
for (const name of files.keys()) {
  const needed = [...closure(name)].map((n) => files.get(n).replace(`${out}/`, ''))
  console.log(`  ${name.padEnd(32)} npm install ${needed.map((f) => `${out}/${f}`).join(' ')}`)
}
