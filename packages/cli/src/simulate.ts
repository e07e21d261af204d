import { writeFileSync } from 'node:fs'
import { renderSimulationReport, simulateSuperOffice } from '@superoffice-webhooks/testing'
import { dim, EXIT, errDim, green, parse, positiveInt, red, secretFrom, UsageError, yellow } from './common.js'

/** `5`, `5s`, `90s`, `2m`, `500ms` into milliseconds. */
function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim())
  if (!match) throw new UsageError(`--duration must look like 60s, 2m or 500ms, not '${value}'.`)
  const n = Number(match[1])
  return match[2] === 'ms' ? n : match[2] === 'm' ? n * 60_000 : n * 1000
}

/** `simulate <url>`: what SuperOffice would record for this receiver. */
export async function simulate(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    secret: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    events: { type: 'string' },
    threads: { type: 'string' },
    tenant: { type: 'string' },
    report: { type: 'string' },
  })
  const [url, ...extra] = positionals
  if (!url) throw new UsageError('simulate needs the URL of the endpoint: simulate <url> --rate 5 --duration 60s')
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'.`)
  try {
    if (!/^https?:$/.test(new URL(url).protocol)) throw new Error()
  } catch {
    throw new UsageError(`'${url}' is not an http(s) URL.`)
  }
  const rate = Number(values.rate ?? 5)
  if (!(rate > 0)) throw new UsageError(`--rate must be a positive number of events per second, not '${values.rate}'.`)
  const secret = secretFrom(values.secret, false)
  const json = values.json === true
  const showProgress = !json && process.stderr.isTTY
  let seen = 0
  const report = await simulateSuperOffice(url, {
    rate,
    ...(secret ? { secret } : {}),
    ...(values.events !== undefined
      ? { events: positiveInt(values.events, 'events', 1) }
      : { durationMs: duration(values.duration ?? '10s') }),
    threads: positiveInt(values.threads, 'threads', 4),
    ...(values.tenant ? { tenant: values.tenant } : {}),
    onAttempt: () => {
      seen++
      if (showProgress) process.stderr.write(`\r${errDim(`${seen} attempts`)}`)
    },
  })
  if (showProgress) process.stderr.write('\n')
  if (values.report) {
    // One page, no scripts or external files: open it in a browser, attach it to a ticket.
    writeFileSync(values.report, renderSimulationReport(report, { url }))
    if (!json) console.error(dim(`report written to ${values.report}`))
  }
  const unreachable = report.attempts > 0 && report.failedStatuses['0'] === report.attempts
  if (json) {
    console.log(JSON.stringify(report))
  } else {
    const state =
      report.state === 'Active'
        ? green('Active')
        : red(
            `TooManyErrors after ${((report.disabledAtMs ?? 0) / 1000).toFixed(1)} s: SuperOffice stops sending (9 failed attempts in a row)`,
          )
    const failed = Object.entries(report.failedStatuses)
      .sort(([, a], [, b]) => b - a)
      .map(([status, n]) => `${status === '0' ? 'no answer' : status} ×${n}`)
      .join(', ')
    console.log(`events     ${report.events} in ${(report.durationMs / 1000).toFixed(1)} s`)
    console.log(
      `delivered  ${report.delivered === report.events ? green(String(report.delivered)) : yellow(String(report.delivered))}`,
    )
    console.log(
      `discarded  ${report.discarded > 0 ? red(String(report.discarded)) : '0'} ${dim('(failed all 3 attempts)')}`,
    )
    if (report.cutShort > 0) {
      console.log(
        `cut short  ${red(String(report.cutShort))} ${dim('(failed 1 or 2 attempts, then the webhook was disabled)')}`,
      )
    }
    console.log(
      `not sent   ${report.notSent > 0 ? red(String(report.notSent)) : '0'} ${dim('(webhook already disabled)')}`,
    )
    console.log(
      `attempts   ${report.attempts} ${dim(`(${report.failedAttempts} failed${failed ? `: ${failed}` : ''})`)}`,
    )
    console.log(`webhook    ${state}`)
  }
  if (unreachable) return EXIT.unreachable
  return report.state === 'Active' && report.delivered === report.events ? EXIT.ok : EXIT.failed
}
