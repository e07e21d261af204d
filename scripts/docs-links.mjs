// Fails on a broken relative link in the Markdown a reader follows on GitHub or npm: README.md,
// docs/*.md, each package's and app's README, BENCHMARKS.md and CONTRIBUTING.md. A link must name
// a file or folder that exists, and an anchor (#…) must be a heading of the page it points at, as
// GitHub spells heading anchors. The docs site's own build fails on a dead page link besides.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const files = ['README.md', 'BENCHMARKS.md', 'CONTRIBUTING.md'].map((f) => join(root, f)).filter(existsSync)
for (const name of readdirSync(join(root, 'docs'))) if (name.endsWith('.md')) files.push(join(root, 'docs', name))
for (const dir of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, dir))) {
    const file = join(root, dir, name, 'README.md')
    if (existsSync(file)) files.push(file)
  }
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes; repeats get -1, -2. */
export function anchorsOf(markdown) {
  const seen = new Map()
  const anchors = new Set()
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (/^(```|~~~)/.test(line)) fenced = !fenced
    const heading = !fenced && /^#{1,6} (.*)$/.exec(line)
    if (!heading) continue
    const text = heading[1].replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    const base = text
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, '')
      .replace(/ /g, '-')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

const problems = []
let checked = 0
for (const file of files) {
  const text = readFileSync(file, 'utf8')
  let fenced = false
  text.split('\n').forEach((line, index) => {
    if (/^(```|~~~)/.test(line)) fenced = !fenced
    if (fenced) return
    for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const url = match[1]
      if (/^[a-z]+:/i.test(url)) continue // https:, mailto:
      checked++
      const [path, anchor] = url.split('#')
      const target = path ? resolve(dirname(file), decodeURIComponent(path)) : file
      const where = `${relative(root, file)}:${index + 1}: ${url}`
      if (!existsSync(target)) {
        problems.push(`${where}: no such file`)
        continue
      }
      if (anchor === undefined) continue
      const page = statSync(target).isDirectory() ? join(target, 'README.md') : target
      if (!page.endsWith('.md') || !existsSync(page)) continue
      if (!anchorsOf(readFileSync(page, 'utf8')).has(anchor)) problems.push(`${where}: no heading #${anchor}`)
    }
  })
}

if (problems.length > 0) {
  console.error(`${problems.length} broken link(s):\n${problems.join('\n')}`)
  process.exit(1)
}
console.log(`${checked} relative links in ${files.length} Markdown files resolve.`)
