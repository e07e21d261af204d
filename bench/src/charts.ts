// SVG bar charts of a bench run: each bar is a ratio to the case's limit (1.0 = as fast as the
// limit; shorter is better), drawn against a dashed line at 1.0. Written by `pnpm bench` next to
// BENCHMARKS.md's tables (bench/charts/*.svg), so the pictures always come from a run.
import type { HttpRow } from './http.ts'
import type { benchInbox } from './inbox.ts'
import type { PipelineRow } from './pipeline.ts'

export interface Bar {
  label: string
  /** The ratio to the limit: 1 is the limit itself. */
  ratio: number
  /** The figure printed after the bar (e.g. `6.24 µs`). */
  note?: string
  /** The limit's own bar (drawn grey). */
  limit?: boolean
}

export interface BarGroup {
  title: string
  bars: Bar[]
}

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/**
 * One horizontal bar chart: a group per body or framework, a bar per case, a dashed line at the
 * limit (1.0). The scale runs to the largest ratio (at least 1.5), so a case at 2.7 × limit is
 * drawn as such, not clipped.
 */
export function barChart(title: string, groups: BarGroup[], options: { unit?: string } = {}): string {
  // Wide enough for the longest label (about 6.6 px a character at 12 px).
  const longest = Math.max(...groups.flatMap((g) => g.bars.map((b) => b.label.length)), 10)
  const labelWidth = Math.ceil(longest * 6.6) + 16
  const plotWidth = 360
  const noteWidth = 150
  const barHeight = 16
  const gap = 6
  const groupGap = 30
  const width = labelWidth + plotWidth + noteWidth
  const finite = groups.flatMap((g) => g.bars.map((b) => b.ratio)).filter((r) => Number.isFinite(r) && r > 0)
  const max = Math.max(1.5, ...finite)
  // Round the scale up to a half, so the ticks are 0, 0.5, 1, 1.5…
  const scaleMax = Math.ceil(max * 2) / 2
  const x = (ratio: number) => labelWidth + (Math.min(ratio, scaleMax) / scaleMax) * plotWidth
  const parts: string[] = []
  let y = 44
  for (const group of groups) {
    parts.push(`<text x="8" y="${y}" class="group">${xml(group.title)}</text>`)
    y += 10
    for (const bar of group.bars) {
      const ratio = Number.isFinite(bar.ratio) && bar.ratio > 0 ? bar.ratio : 0
      const fill = bar.limit ? '#9aa3ad' : ratio <= 1.1 ? '#2f855a' : ratio <= 1.5 ? '#c07a12' : '#c53030'
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight - 4}" class="label" text-anchor="end">${xml(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${(x(ratio) - labelWidth).toFixed(1)}" height="${barHeight}" fill="${fill}"><title>${xml(`${bar.label}: ${ratio.toFixed(2)} × limit`)}</title></rect>`,
        `<text x="${(x(ratio) + 6).toFixed(1)}" y="${y + barHeight - 4}" class="value">${ratio.toFixed(2)}×${bar.note ? ` · ${xml(bar.note)}` : ''}</text>`,
      )
      y += barHeight + gap
    }
    y += groupGap - gap
  }
  const axisTop = 34
  const axisBottom = y - groupGap + gap + 4
  const ticks: string[] = []
  // A tick every half up to 3× the limit, every whole one beyond, so the labels never crowd.
  const step = scaleMax > 3 ? 1 : 0.5
  for (let t = 0; t <= scaleMax + 1e-9; t += step) {
    const tx = x(t).toFixed(1)
    ticks.push(
      `<line x1="${tx}" y1="${axisTop}" x2="${tx}" y2="${axisBottom}" class="${t === 1 ? 'limit' : 'grid'}"/>`,
      `<text x="${tx}" y="${axisBottom + 14}" class="tick" text-anchor="middle">${t === 1 ? '1 = limit' : String(t)}</text>`,
    )
  }
  const height = axisBottom + 24
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${xml(title)}">`,
    '<style>text{font:12px system-ui,-apple-system,Segoe UI,sans-serif;fill:#1a202c}.title{font-size:14px;font-weight:600}.group{font-weight:600}.tick{fill:#4a5568;font-size:11px}.grid{stroke:#e2e8f0}.limit{stroke:#1a202c;stroke-dasharray:4 3}</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="20" class="title">${xml(title)}${options.unit ? ` (${xml(options.unit)})` : ''}</text>`,
    ...ticks,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}

const micros = (us: number) => `${us < 100 ? us.toFixed(2) : Math.round(us)} µs`

/** The pipeline table as a chart: each case's time over the limit's, per body. */
export function pipelineChart(rows: PipelineRow[]): string {
  const bodies = [...new Set(rows.map((r) => r.body))]
  return barChart(
    'Pipeline per event: time ÷ the limit (HMAC + JSON.parse of the same bytes)',
    bodies.map((body) => ({
      title: body,
      bars: rows
        .filter((r) => r.body === body)
        .map((r) => ({
          label: r.name.length > 60 ? `${r.name.slice(0, 59)}…` : r.name,
          ratio: r.ratioToLimit,
          note: micros(r.microsPerEvent),
          limit: r.name.startsWith('limit'),
        })),
    })),
    { unit: 'lower is better' },
  )
}

/**
 * The HTTP table as a chart: per framework, the server CPU per request of the limit route and of
 * the adapter, each over the limit route's.
 */
export function httpChart(rows: HttpRow[]): string {
  const frameworks = [...new Set(rows.map((r) => r.framework))]
  return barChart(
    "HTTP per adapter: server CPU per request ÷ the framework's limit route",
    frameworks.flatMap((framework) => {
      const limit = rows.find((r) => r.framework === framework && r.mode === 'limit')
      const adapter = rows.find((r) => r.framework === framework && r.mode === 'adapter')
      if (!limit || !adapter || !(limit.cpuPerRequest > 0)) return []
      return [
        {
          title: framework,
          bars: [
            {
              label: 'limit route (raw body, HMAC, JSON.parse)',
              ratio: 1,
              note: micros(limit.cpuPerRequest),
              limit: true,
            },
            {
              label: 'our adapter',
              ratio: adapter.cpuPerRequest / limit.cpuPerRequest,
              note: micros(adapter.cpuPerRequest),
            },
          ],
        },
      ]
    }),
    { unit: 'lower is better' },
  )
}

/** The inbox table as a chart: the answer's p50 and p99 over the engine's bare add. */
export function inboxChart(result: Awaited<ReturnType<typeof benchInbox>>): string {
  return barChart(
    "Durable inbox: answer latency ÷ the engine's bare queue.add",
    result.engines.flatMap((engine) => {
      const [limit, inbox] = engine.rows
      if (!limit || !inbox) return []
      return [
        {
          title: engine.engine,
          bars: [
            { label: 'bare queue.add, p50', ratio: 1, note: micros(limit.p50Micros), limit: true },
            { label: 'inbox answer, p50', ratio: inbox.p50Micros / limit.p50Micros, note: micros(inbox.p50Micros) },
            { label: 'bare queue.add, p99', ratio: 1, note: micros(limit.p99Micros), limit: true },
            { label: 'inbox answer, p99', ratio: inbox.p99Micros / limit.p99Micros, note: micros(inbox.p99Micros) },
          ],
        },
      ]
    }),
    { unit: 'lower is better' },
  )
}

/** What a run keeps in bench/charts/results.json, so the charts can be drawn again without a run. */
export interface ChartInputs {
  pipeline?: PipelineRow[]
  http?: HttpRow[]
  inbox?: Awaited<ReturnType<typeof benchInbox>>
}

/** The SVG files of a run's results, by name. */
export function charts(inputs: ChartInputs): Record<string, string> {
  const out: Record<string, string> = {}
  if (inputs.pipeline) out.pipeline = pipelineChart(inputs.pipeline)
  if (inputs.http) out.http = httpChart(inputs.http)
  if (inputs.inbox && inputs.inbox.engines.length > 0) out.inbox = inboxChart(inputs.inbox)
  return out
}

// `node src/charts.ts [dir]`: draws the charts again from the last run's results.json.
if (import.meta.main) {
  const { readFileSync, writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { fileURLToPath } = await import('node:url')
  const dir = process.argv[2] ?? fileURLToPath(new URL('../charts/', import.meta.url))
  const inputs = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ChartInputs
  for (const [name, svg] of Object.entries(charts(inputs))) {
    writeFileSync(join(dir, `${name}.svg`), svg)
    console.log(join(dir, `${name}.svg`))
  }
}
