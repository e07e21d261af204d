// The signature check's cost per runtime: Node, Bun, Deno (from their npm packages) and workerd
// (Cloudflare Workers, through Miniflare), each on its default path and on WebCrypto, over the
// typical 1.3 KB body. `pnpm --filter bench run bench:runtimes`.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { signPayload } from '@superoffice-webhooks/core'
import { findRuntimeBinary } from '@superoffice-webhooks/testing'
import { build } from 'esbuild'
import { SECRET, typicalBody } from './bodies.ts'
import { timeBoth, type VerifyLoop } from './runtime-verify-entry.ts'

export interface RuntimeRow {
  runtime: string
  defaultPath: string
  /** µs per check on the runtime's default path. */
  defaultMicros: number
  /** µs per check on WebCrypto. */
  webCryptoMicros: number
}

const here = dirname(fileURLToPath(import.meta.url))

export async function benchRuntimes(
  options: { iterations?: number } = {},
): Promise<{ rows: RuntimeRow[]; skipped: string[] }> {
  const body = typicalBody()
  const input: VerifyLoop = {
    body,
    signature: signPayload(body, SECRET),
    secret: SECRET,
    iterations: options.iterations ?? 20_000,
  }
  const rows: RuntimeRow[] = []
  const skipped: string[] = []
  const row = (runtime: string, json: string) => {
    const r = JSON.parse(json) as { defaultPath: string; default: number; webcrypto: number }
    rows.push({ runtime, defaultPath: r.defaultPath, defaultMicros: r.default, webCryptoMicros: r.webcrypto })
  }
  row(`Node ${process.versions.node}`, await timeBoth(input))

  const dir = mkdtempSync(join(tmpdir(), 'runtimes-bench-'))
  try {
    const entry = join(here, 'runtime-verify-entry.ts')
    const cli = join(dir, 'cli.js')
    const worker = join(dir, 'worker.js')
    // One bundle per target, core and zod inside, nothing of Node's imported.
    await build({
      stdin: {
        contents: `import { timeBoth } from ${JSON.stringify(entry)}\nconsole.log(await timeBoth(JSON.parse(globalThis.process?.env.BENCH_INPUT ?? Deno.env.get('BENCH_INPUT'))))`,
        resolveDir: here,
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      outfile: cli,
      logLevel: 'error',
    })
    // workerd takes only handlers as a module's exports: the default one alone.
    await build({
      stdin: { contents: `export { default } from ${JSON.stringify(entry)}`, resolveDir: here, loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      outfile: worker,
      logLevel: 'error',
    })

    for (const [name, args] of [
      ['bun', [cli]],
      ['deno', ['run', '--allow-env', '--no-prompt', cli]],
    ] as const) {
      const bin = findRuntimeBinary(name, fileURLToPath(new URL('..', import.meta.url)))
      if (!bin) {
        skipped.push(`${name}: not installed`)
        continue
      }
      const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] ?? name
      const run = spawnSync(bin, [...args], {
        encoding: 'utf8',
        env: { ...process.env, BENCH_INPUT: JSON.stringify(input), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
        maxBuffer: 1 << 20,
      })
      if (run.status !== 0) throw new Error(`${name} failed: ${run.stderr}`)
      // `bun --version` prints 1.4.5, `deno --version` deno 2.9.6 (stable, …).
      const number = /\d+\.\d+\.\d+/.exec(version)?.[0] ?? version
      row(`${name === 'bun' ? 'Bun' : 'Deno'} ${number}`, run.stdout.trim())
    }

    const { Miniflare } = await import('miniflare')
    // The module by its contents: workerd refuses a path outside its starting directory.
    const mf = new Miniflare({
      modules: [{ type: 'ESModule', path: 'worker.js', contents: readFileSync(worker, 'utf8') }],
      compatibilityDate: '2026-07-01',
    })
    try {
      const url = await mf.ready
      const per: Record<string, number> = {}
      let defaultPath = ''
      for (const path of ['default', 'webcrypto']) {
        const call = async (iterations: number) => {
          const response = await fetch(new URL(`/${path}`, url), {
            method: 'POST',
            body: JSON.stringify({ ...input, iterations }),
          })
          if (!response.ok) throw new Error(`workerd answered ${response.status}: ${await response.text()}`)
          defaultPath = ((await response.json()) as { defaultPath: string }).defaultPath
        }
        await call(2000)
        // The loop's time from outside, less one request's own cost (the fastest of five loops of one).
        let overhead = Number.POSITIVE_INFINITY
        for (let i = 0; i < 5; i++) {
          const one = performance.now()
          await call(1)
          overhead = Math.min(overhead, performance.now() - one)
        }
        const start = performance.now()
        await call(input.iterations)
        per[path] = ((performance.now() - start - overhead) * 1000) / input.iterations
      }
      rows.push({
        runtime: 'workerd (Miniflare)',
        defaultPath,
        defaultMicros: per.default ?? NaN,
        webCryptoMicros: per.webcrypto ?? NaN,
      })
    } finally {
      await mf.dispose()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return { rows, skipped }
}

export function formatRuntimes(result: Awaited<ReturnType<typeof benchRuntimes>>): string {
  const out = ['| runtime | default path | µs per check, default | µs per check, WebCrypto |', '|---|---|---:|---:|']
  for (const r of result.rows) {
    out.push(`| ${r.runtime} | ${r.defaultPath} | ${r.defaultMicros.toFixed(2)} | ${r.webCryptoMicros.toFixed(2)} |`)
  }
  for (const s of result.skipped) out.push('', `Skipped: ${s}.`)
  return out.join('\n')
}

if (import.meta.main) {
  console.log(formatRuntimes(await benchRuntimes(process.env.BENCH_QUICK === '1' ? { iterations: 2000 } : {})))
}
