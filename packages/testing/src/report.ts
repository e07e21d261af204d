import type { SimulationReport } from './simulate.js'

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`)

const html = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )

/**
 * One self-contained HTML page (no script, no external file) of a simulation: the verdict, a
 * timeline of every attempt (answered 200, failed, and the events dropped), the consecutive
 * failures against SuperOffice's limit of 9, and the moment the webhook would have been disabled.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * import { renderSimulationReport, simulateSuperOffice } from '@superoffice-webhooks/testing'
 *
 * const report = await simulateSuperOffice(url, { secret, events: 200 })
 * writeFileSync('sim.html', renderSimulationReport(report, { url }))
 * ```
 */
export function renderSimulationReport(
  report: SimulationReport,
  options: { url?: string; title?: string } = {},
): string {
  const width = 960
  const lane = 34
  const left = 70
  const span = Math.max(1, report.durationMs)
  const x = (ms: number) => left + ((width - left - 20) * ms) / span
  const timelineHeight = 3 * lane + 40
  const dropped = new Set(report.outcomes.filter((o) => o.outcome !== 'delivered').map((o) => o.eventId))

  // The attempts, one lane per attempt number.
  const dots = report.timeline
    .map((a) => {
      const ok = a.status === 200
      const lost = !ok && dropped.has(a.eventId) && a.attempt === 3
      const colour = ok ? '#1a7f37' : lost ? '#8250df' : '#cf222e'
      const title = `${a.event} ${a.eventId} attempt ${a.attempt}: ${a.status === 0 ? 'no answer' : a.status} at ${(a.at / 1000).toFixed(2)} s`
      return `<circle class="attempt ${ok ? 'ok' : 'failed'}" cx="${x(a.at).toFixed(1)}" cy="${20 + (a.attempt - 1) * lane + lane / 2}" r="4" fill="${colour}"><title>${html(title)}</title></circle>`
    })
    .join('')

  // Consecutive failed attempts over time, against the limit.
  let run = 0
  const points = report.timeline.map((a) => {
    run = a.status === 200 ? 0 : run + 1
    return { at: a.at, run }
  })
  const limit = report.maxConsecutiveFailures
  const chartHeight = 180
  const top = Math.max(limit + 1, ...points.map((p) => p.run))
  const y = (value: number) => chartHeight - 20 - ((chartHeight - 40) * value) / top
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.at).toFixed(1)},${y(p.run).toFixed(1)}`).join(' ')
  const disabled =
    report.disabledAtMs === undefined
      ? ''
      : `<line class="disabled" x1="${x(report.disabledAtMs).toFixed(1)}" x2="${x(report.disabledAtMs).toFixed(1)}" y1="0" y2="${chartHeight}" stroke="#8250df" stroke-width="2" stroke-dasharray="6 4"/><text x="${(x(report.disabledAtMs) + 6).toFixed(1)}" y="14" fill="#8250df">disabled at ${(report.disabledAtMs / 1000).toFixed(1)} s</text>`

  const verdict =
    report.state === 'TooManyErrors'
      ? `SuperOffice would have disabled this webhook after ${((report.disabledAtMs ?? 0) / 1000).toFixed(1)} s (TooManyErrors)`
      : report.delivered === report.events
        ? 'Every event was delivered; the webhook stays Active'
        : `${report.events - report.delivered} events were lost; the webhook stays Active`
  const failed = Object.entries(report.failedStatuses)
    .map(([status, count]) => `${status === '0' ? 'no answer' : status}: ${count}`)
    .join(', ')
  const title = options.title ?? 'SuperOffice webhook simulation'
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1f2328;max-width:1000px}
h1{font-size:20px;margin:0 0 4px} .verdict{font-size:16px;font-weight:600;margin:12px 0}
.bad{color:#cf222e}.good{color:#1a7f37} table{border-collapse:collapse;margin:8px 0 16px}
td{padding:2px 16px 2px 0} svg{background:#f6f8fa;border-radius:6px} .legend span{margin-right:16px}
</style></head><body>
<h1>${html(title)}</h1>
<div>${options.url ? `${html(options.url)} · ` : ''}${report.events} events in ${(report.durationMs / 1000).toFixed(1)} s, sent as SuperOffice sends: up to 3 attempts (after ${seconds(report.retryDelaysMs[0])} and ${seconds(report.retryDelaysMs[1])}), disabled after ${limit} failed attempts in a row</div>
<p class="verdict ${report.state === 'Active' && report.delivered === report.events ? 'good' : 'bad'}" id="verdict">${html(verdict)}</p>
<table id="counts">
<tr><td>delivered</td><td>${report.delivered}</td></tr>
<tr><td>discarded (failed all 3 attempts)</td><td>${report.discarded}</td></tr>
<tr><td>cut short (the webhook was disabled between attempts)</td><td>${report.cutShort}</td></tr>
<tr><td>not sent (the webhook was already disabled)</td><td>${report.notSent}</td></tr>
<tr><td>attempts</td><td>${report.attempts} (${report.failedAttempts} failed${failed ? `: ${html(failed)}` : ''})</td></tr>
</table>
<h2>Deliveries and attempts</h2>
<div class="legend"><span style="color:#1a7f37">● answered 200</span><span style="color:#cf222e">● failed, retried</span><span style="color:#8250df">● failed, event dropped</span></div>
<svg id="timeline" width="${width}" height="${timelineHeight}" role="img" aria-label="attempts over time">
${[1, 2, 3].map((n) => `<text x="8" y="${20 + (n - 1) * lane + lane / 2 + 4}">attempt ${n}</text>`).join('')}
${dots}
<text x="${left}" y="${timelineHeight - 6}">0 s</text><text x="${width - 60}" y="${timelineHeight - 6}">${(report.durationMs / 1000).toFixed(1)} s</text>
</svg>
<h2>Failed attempts in a row, against the limit of ${limit}</h2>
<svg id="consecutive" width="${width}" height="${chartHeight}" role="img" aria-label="consecutive failures">
<line x1="${left}" x2="${width - 20}" y1="${y(limit).toFixed(1)}" y2="${y(limit).toFixed(1)}" stroke="#cf222e" stroke-dasharray="4 4"/>
<text x="8" y="${(y(limit) + 4).toFixed(1)}" fill="#cf222e">limit ${limit}</text>
<path d="${path}" fill="none" stroke="#0969da" stroke-width="2"/>
${disabled}
</svg>
${report.outcomesTruncated ? '<p>Only the first events are drawn; the counts cover all of them.</p>' : ''}
</body></html>
`
}
