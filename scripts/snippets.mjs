// Keeps every TypeScript snippet in the Markdown docs identical to a file under docs/snippets/src,
// where it is type-checked (and the test snippet run). A snippet is written as
//
//   <!-- snippet: koa.ts -->
//   ```ts
//   …the file's `// #region readme` part, or the whole file…
//   ```
//
// `node scripts/snippets.mjs` rewrites the blocks from the files; `--check` fails on any drift and
// on any ```ts block that has no snippet marker (so no snippet can go unchecked).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const snippetDir = join(root, 'docs', 'snippets', 'src')
const check = process.argv.includes('--check')

const markdown = [join(root, 'README.md')]
for (const dir of ['docs', 'packages', 'apps']) {
  for (const name of readdirSync(join(root, dir))) {
    const file = dir === 'docs' ? join(root, dir, name) : join(root, dir, name, 'README.md')
    if (file.endsWith('.md') && existsSync(file)) markdown.push(file)
  }
}

function region(name) {
  const text = readFileSync(join(snippetDir, name), 'utf8')
  const start = text.indexOf('// #region readme\n')
  const end = text.indexOf('// #endregion readme')
  if (start === -1 || end === -1) return text.trimEnd()
  return text.slice(start + '// #region readme\n'.length, end).trimEnd()
}

const problems = []
let count = 0
for (const file of markdown) {
  const lines = readFileSync(file, 'utf8').split('\n')
  const out = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const marker = line.match(/^<!-- snippet: ([\w./-]+) -->$/)
    if (!marker) {
      if (
        /^```(ts|typescript|js|javascript|mjs|cjs|tsx|jsx)\s*$/.test(line) &&
        !/^<!-- snippet: /.test(lines[i - 1] ?? '')
      ) {
        problems.push(`${relative(root, file)}:${i + 1}: a \`\`\`ts block without a <!-- snippet: … --> marker`)
      }
      out.push(line)
      continue
    }
    const name = marker[1]
    if (!existsSync(join(snippetDir, name))) {
      problems.push(`${relative(root, file)}:${i + 1}: docs/snippets/src/${name} does not exist`)
      out.push(line)
      continue
    }
    const open = lines[i + 1]
    const close = lines.findIndex((l, j) => j > i + 1 && l === '```')
    if (!/^```ts\s*$/.test(open ?? '') || close === -1) {
      problems.push(`${relative(root, file)}:${i + 1}: the marker must be followed by a \`\`\`ts block`)
      out.push(line)
      continue
    }
    count++
    const current = lines.slice(i + 2, close).join('\n')
    const wanted = region(name)
    if (current !== wanted) problems.push(`${relative(root, file)}:${i + 1}: differs from docs/snippets/src/${name}`)
    out.push(line, '```ts', wanted, '```')
    i = close
  }
  if (!check) writeFileSync(file, out.join('\n'))
}

if (check) {
  if (problems.length > 0) {
    console.error(`Snippets out of step (run \`node scripts/snippets.mjs\` to rewrite them from docs/snippets/src):`)
    for (const p of problems) console.error(`- ${p}`)
    process.exit(1)
  }
  console.log(`${count} snippets in ${markdown.length} Markdown files match docs/snippets/src (type-checked there).`)
} else {
  for (const p of problems.filter((p) => !p.includes('differs'))) console.error(`- ${p}`)
  console.log(`rewrote ${count} snippets`)
}
