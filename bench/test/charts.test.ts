import { describe, expect, it } from 'vitest'
import { barChart, httpChart, pipelineChart } from '../src/charts.ts'

const bars = (svg: string) =>
  [...svg.matchAll(/<rect x="(\d+(?:\.\d+)?)" y="\d+" width="(\d+(?:\.\d+)?)"[^>]*><title>([^<]*)<\/title>/g)].map(
    (m) => ({ width: Number(m[2]), title: m[3] }),
  )

describe('the charts of a bench run', () => {
  it('draws one bar per case, as long as its ratio to the limit, with the limit line at 1.0', () => {
    const svg = barChart('t', [
      {
        title: 'body',
        bars: [
          { label: 'limit', ratio: 1, limit: true },
          { label: 'ours', ratio: 1.06 },
          { label: 'slow peer', ratio: 2.74 },
        ],
      },
    ])
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    const drawn = bars(svg)
    expect(drawn.map((b) => b.title)).toEqual(['limit: 1.00 × limit', 'ours: 1.06 × limit', 'slow peer: 2.74 × limit'])
    const [limit, ours, slow] = drawn.map((b) => b.width) as [number, number, number]
    expect(ours / limit).toBeCloseTo(1.06, 2)
    expect(slow / limit).toBeCloseTo(2.74, 2)
    expect(svg).toContain('1 = limit')
  })

  it('escapes labels, and draws a case that failed to measure (NaN) as an empty bar rather than breaking the file', () => {
    const svg = barChart('<a & b>', [{ title: 'x', bars: [{ label: '"q" <i>', ratio: Number.NaN }] }])
    expect(svg).not.toContain('<i>')
    expect(svg).toContain('&lt;a &amp; b&gt;')
    expect(bars(svg)[0]?.width).toBe(0)
    expect(svg).not.toContain('NaN')
  })

  it('charts the pipeline table per body and the HTTP table per framework (adapter over its limit route)', () => {
    const pipeline = pipelineChart([
      { body: 'typical', name: 'limit: HMAC + JSON.parse', microsPerEvent: 5, ratioToLimit: 1 },
      { body: 'typical', name: 'ours', microsPerEvent: 5.5, ratioToLimit: 1.1 },
      { body: 'large', name: 'limit: HMAC + JSON.parse', microsPerEvent: 800, ratioToLimit: 1 },
      { body: 'large', name: 'ours', microsPerEvent: 790, ratioToLimit: 0.99 },
    ])
    expect(bars(pipeline)).toHaveLength(4)
    expect(pipeline).toContain('>typical<')
    expect(pipeline).toContain('0.99× · 790 µs')
    const row = { rps: 1, p99: 1, cpuShare: 0.3, handled: 1, requests: 1, non2xx: 0 }
    const http = httpChart([
      { ...row, framework: 'koa', mode: 'bare', cpuPerRequest: 30 },
      { ...row, framework: 'koa', mode: 'limit', cpuPerRequest: 50 },
      { ...row, framework: 'koa', mode: 'adapter', cpuPerRequest: 55 },
    ])
    expect(bars(http).map((b) => b.title)).toEqual([
      'limit route (raw body, HMAC, JSON.parse): 1.00 × limit',
      'our adapter: 1.10 × limit',
    ])
  })
})
