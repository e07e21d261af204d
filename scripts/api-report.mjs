// The public surface of every published package as an API report (api-extractor), committed in
// each package's `etc/` folder: a change of what a package exports shows up as a diff in review.
// `node scripts/api-report.mjs` rewrites the reports from the built types (build first);
// `--check` (CI) fails when a report differs from what the built types say, naming the package.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const { Extractor, ExtractorConfig } = require('@microsoft/api-extractor')

const root = fileURLToPath(new URL('..', import.meta.url))
const check = process.argv.includes('--check')

const entries = []
for (const name of readdirSync(join(root, 'packages')).sort()) {
  const folder = join(root, 'packages', name)
  const file = join(folder, 'package.json')
  if (!existsSync(file)) continue
  const pkg = JSON.parse(readFileSync(file, 'utf8'))
  if (pkg.private) continue
  // Every entry of the exports map that has types: `.` and subpaths such as `./board`.
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const types = typeof target === 'object' ? (target.import?.types ?? target.types) : undefined
    if (!types) continue
    const report = subpath === '.' ? name : `${name}-${subpath.slice(2).replace(/\//g, '-')}`
    entries.push({ pkg, folder, types: join(folder, types), report })
  }
}

const changed = []
for (const { pkg, folder, types, report } of entries) {
  if (!existsSync(types)) {
    console.error(`${pkg.name}: ${types} is missing; build the packages first.`)
    process.exit(1)
  }
  if (!check) mkdirSync(join(folder, 'etc'), { recursive: true })
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: folder,
      mainEntryPointFilePath: types,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            strict: true,
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            lib: ['es2023', 'dom'],
            types: ['node'],
            skipLibCheck: true,
          },
        },
      },
      // Types of other packages (zod, BullMQ, Nest…) are referenced, not copied into the report.
      bundledPackages: [],
      apiReport: {
        enabled: true,
        reportFileName: `${report}.api.md`,
        reportFolder: join(folder, 'etc'),
        reportTempFolder: join(folder, 'node_modules', '.api-report'),
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // Style findings (a missing release tag, a forgotten export) are for review, not failures;
        // the report itself is the contract checked here.
        extractorMessageReporting: { default: { logLevel: 'none' } },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
        compilerMessageReporting: { default: { logLevel: 'warning' } },
      },
    },
    configObjectFullPath: join(folder, 'api-extractor.json'),
    packageJsonFullPath: join(folder, 'package.json'),
  })
  const result = Extractor.invoke(config, {
    localBuild: !check,
    showVerboseMessages: false,
    messageCallback: (m) => {
      if (m.logLevel === 'warning' || m.logLevel === 'error') console.warn(`${pkg.name}: ${m.text}`)
      m.handled = true
    },
  })
  if (result.apiReportChanged) changed.push(relative(root, join(folder, 'etc', `${report}.api.md`)))
  if (!result.succeeded && !result.apiReportChanged) {
    console.error(`${pkg.name}: api-extractor failed (${result.errorCount} errors)`)
    process.exit(1)
  }
}

if (check && changed.length > 0) {
  console.error(
    `The public API changed; these reports differ from the built types:\n  ${changed.join('\n  ')}\n` +
      'Run `pnpm api-report` and commit the reports with the change (and a changeset).',
  )
  process.exit(1)
}
console.log(`${entries.length} API reports ${check ? 'match the built types' : 'written'} (packages/*/etc/*.api.md).`)
