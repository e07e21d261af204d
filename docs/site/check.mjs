// The built site in headless Chromium (Debian's; nothing downloads a browser): every page is
// opened from a local server and must answer 200, render its heading and content with no script
// error, and link only to pages that exist; the local search must find `sale.sold`. Run after
// `vitepress build` (`pnpm --filter docs run build`). The server and the browser are stopped on
// every way out, failure and timeout included.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const dist = fileURLToPath(new URL('../.vitepress/dist/', import.meta.url))
if (!existsSync(join(dist, 'index.html'))) {
  console.error('docs/.vitepress/dist is missing: build the site first (pnpm --filter docs run build).')
  process.exit(1)
}
const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
const executablePath = process.env.CHROMIUM_PATH ?? candidates.find((path) => existsSync(path))
if (!executablePath) {
  if (process.env.CI) {
    console.error('chromium is not installed; .ci/run must install it (apt-get install chromium).')
    process.exit(1)
  }
  console.warn('\n!!! SKIPPING the docs site browser check: chromium is not installed (apt-get install chromium) !!!\n')
  process.exit(0)
}

const types = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
}
/** The file a URL path names, as a static host with clean URLs serves it. */
function fileFor(pathname) {
  const path = decodeURIComponent(pathname)
  for (const candidate of [path, `${path}.html`, join(path, 'index.html')]) {
    const file = join(dist, candidate)
    if (file.startsWith(dist) && existsSync(file) && statSync(file).isFile()) return file
  }
  return undefined
}
const server = createServer((req, res) => {
  const file = fileFor(new URL(req.url ?? '/', 'http://x').pathname)
  if (!file) return res.writeHead(404).end('not found')
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file))
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${server.address().port}`

const pages = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (name.endsWith('.html') && name !== '404.html')
      pages.push(
        `/${relative(dist, path)
          .replace(/\.html$/, '')
          .replace(/(^|\/)index$/, '$1')}`,
      )
  }
}
walk(dist)

let browser
const watchdog = setTimeout(() => {
  console.error('docs site check: timed out after 10 minutes')
  close(1)
}, 600_000)
async function close(code) {
  clearTimeout(watchdog)
  await browser?.close().catch(() => {})
  server.close()
  server.closeAllConnections()
  process.exit(code)
}
process.once('SIGINT', () => close(130))
process.once('SIGTERM', () => close(143))

const problems = []
try {
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] })
  const context = await browser.newContext()
  const queue = [...pages]
  const worker = async () => {
    const page = await context.newPage()
    const errors = []
    page.on('pageerror', (error) => errors.push(error.message))
    // Console errors, but a failed resource by its URL (the browser's own favicon.ico request aside).
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        errors.push(message.text())
    })
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico'))
        errors.push(`${response.status()} for ${response.url()}`)
    })
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
      errors.length = 0
      const response = await page.goto(origin + path, { waitUntil: 'load' })
      if (response?.status() !== 200) {
        problems.push(`${path}: answered ${response?.status()}`)
        continue
      }
      const heading = await page
        .locator('.vp-doc h1, .VPHero .name, .VPHero .text')
        .first()
        .textContent({ timeout: 15_000 })
        .catch(() => null)
      if (!heading?.trim()) problems.push(`${path}: no heading rendered`)
      const links = await page.$$eval('.vp-doc a[href^="/"], .VPSidebar a[href^="/"]', (as) =>
        as.map((a) => a.getAttribute('href')),
      )
      for (const href of new Set(links)) {
        const target = new URL(href, origin).pathname
        if (!fileFor(target)) problems.push(`${path}: broken link ${href}`)
      }
      if (errors.length > 0) problems.push(`${path}: ${errors.join('; ')}`)
    }
    await page.close()
  }
  await Promise.all([worker(), worker(), worker()])

  // Search: the local index finds the event on the catalogue page.
  const page = await context.newPage()
  await page.goto(`${origin}/`, { waitUntil: 'load' })
  await page.locator('.VPNavBarSearchButton, #local-search button').first().click()
  await page.locator('input.search-input, #localsearch-input').first().fill('sale.sold')
  const results = page.locator('.result')
  await results
    .first()
    .waitFor({ timeout: 15_000 })
    .catch(() => {})
  const found = await results.allTextContents()
  if (!found.some((text) => text.includes('sale.sold')))
    problems.push(`search for sale.sold found nothing (${found.length} results)`)
  else {
    await results.first().click()
    await page.waitForLoadState('load')
    if (!(await page.locator('.vp-doc').textContent())?.includes('sale.sold'))
      problems.push('the first search result for sale.sold does not mention it')
  }
  console.log(`docs site: ${pages.length} pages opened in Chromium, search for sale.sold gave ${found.length} results`)
} catch (error) {
  problems.push(`the check failed: ${error?.stack ?? error}`)
}
if (problems.length > 0) console.error(`${problems.length} problem(s):\n${problems.join('\n')}`)
await close(problems.length > 0 ? 1 : 0)
