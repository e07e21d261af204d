// Generates the API reference (docs/api, not committed) from the published packages' TSDoc with
// TypeDoc and its Markdown and VitePress plugins: one section per package, its sidebar in
// docs/api/typedoc-sidebar.json for the site's config to read.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const docs = join(dirname(fileURLToPath(import.meta.url)), '..')
const packages = join(docs, '..', 'packages')
// Each published library with a TypeScript entry (the CLI is a command; its README documents it).
const entryPoints = readdirSync(packages)
  .map((name) => join(packages, name))
  .filter((dir) => {
    const file = join(dir, 'package.json')
    if (!existsSync(file) || !existsSync(join(dir, 'src', 'index.ts'))) return false
    const pkg = JSON.parse(readFileSync(file, 'utf8'))
    return !pkg.private && pkg.bin === undefined
  })

const out = join(docs, 'api')
rmSync(out, { recursive: true, force: true })
const dir = mkdtempSync(join(tmpdir(), 'typedoc-'))
try {
  const options = join(dir, 'typedoc.json')
  writeFileSync(
    options,
    JSON.stringify({
      entryPointStrategy: 'packages',
      entryPoints,
      // `src/index.ts`, unless a package's `typedocOptions` names more entries (core's `./adapter`,
      // bullmq's `./board`).
      packageOptions: { entryPoints: ['src/index.ts'], readme: 'none', excludeInternal: true, disableSources: true },
      plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme'],
      out,
      readme: 'none',
      disableSources: true,
      hideGenerator: true,
      // Types the packages use but do not export are named, not documented: not an error here.
      validation: { notExported: false },
      docsRoot: docs,
    }),
  )
  execFileSync(join(docs, 'node_modules', '.bin', 'typedoc'), ['--options', options, '--logLevel', 'Warn'], {
    stdio: 'inherit',
  })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log(`API reference for ${entryPoints.length} packages in docs/api`)
