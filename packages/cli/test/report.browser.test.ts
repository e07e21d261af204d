// The simulator's report page, opened in headless Chromium (Debian's, driven by playwright-core):
// a receiver that fails from the fifth event on gets its webhook disabled, and the page shows it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { findChromium } from '@superoffice-webhooks/test-utils/servers'
import { renderSimulationReport, simulateSuperOffice } from '@superoffice-webhooks/testing'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './helpers.js'

const browserPath = findChromium()
let server: Server
let url: string
let dir: string
let answered = 0
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-report-'))
  server = createServer((req, res) => {
    req.resume()
    answered++
    res.writeHead(answered <= 4 ? 200 : 503).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/superoffice`
})
afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

describe.runIf(browserPath)('simulate --report: the page, in a real browser', () => {
  it('draws every attempt, the failures in a row against 9, and when the webhook would be disabled', {
    timeout: 180_000,
  }, async () => {
    answered = 0
    const report = await simulateSuperOffice(url, { events: 12, rate: 50, retryDelaysMs: [20, 40], threads: 1 })
    expect(report.state).toBe('TooManyErrors')
    const file = join(dir, 'sim.html')
    writeFileSync(file, renderSimulationReport(report, { url }))
    const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] })
    try {
      const page = await browser.newPage()
      await page.goto(pathToFileURL(file).href)
      expect(await page.title()).toBe('SuperOffice webhook simulation')
      expect(await page.textContent('#verdict')).toMatch(/would have disabled this webhook after \d+\.\d s/)
      expect(await page.locator('#timeline circle.attempt').count()).toBe(report.timeline.length)
      expect(await page.locator('#timeline circle.ok').count()).toBe(4)
      expect(await page.locator('#consecutive line.disabled').count()).toBe(1)
      expect(await page.textContent('#counts')).toContain(`attempts${report.attempts}`)
      // The page is one file: no script, nothing fetched.
      const requests: string[] = []
      page.on('request', (r) => {
        requests.push(r.url())
      })
      await page.reload()
      expect(requests.filter((r) => !r.startsWith('file:'))).toEqual([])
    } finally {
      await browser.close()
    }
  })

  it('the command writes the page with --report', { timeout: 180_000 }, async () => {
    answered = 0
    const file = join(dir, 'cli.html')
    const { code, stderr } = await runCli(['simulate', url, '--events', '3', '--rate', '20', '--report', file])
    expect(code, stderr).toBe(0)
    const html = readFileSync(file, 'utf8')
    expect(html).toContain('Every event was delivered; the webhook stays Active')
    expect(html).not.toContain('<script')
  })
})
