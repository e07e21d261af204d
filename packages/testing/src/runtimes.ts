import { existsSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'

/**
 * The binary of Bun or Deno from their npm packages (`bun`, `deno`), as installed beside `from`
 * (a folder with a package.json whose dependencies include them): for running a fetch handler's
 * tests on those runtimes without installing them on the machine. Both ship the binary in a
 * platform package (an optional dependency); their install scripts only copy it, and package
 * managers that skip install scripts (pnpm by default) leave the platform package's file, which
 * this returns. `undefined` when the runtime or this platform's package is not installed.
 *
 * @example
 * ```ts
 * import { spawn } from 'node:child_process'
 * import { findRuntimeBinary } from '@superoffice-webhooks/testing'
 *
 * const bun = findRuntimeBinary('bun', process.cwd())
 * if (bun) spawn(bun, ['dist/server.js'], { stdio: 'inherit' })
 * ```
 */
export function findRuntimeBinary(name: 'bun' | 'deno', from: string): string | undefined {
  const arch = process.arch === 'arm64' ? (name === 'bun' ? 'aarch64' : 'arm64') : process.arch
  const platformPackage =
    name === 'bun'
      ? `@oven/bun-${process.platform}-${arch}`
      : `@deno/${process.platform}-${arch}${process.platform === 'linux' ? '-glibc' : ''}`
  // The runtime package from `from` up its folders' node_modules only (not NODE_PATH or global
  // folders, which package managers and shells set), then its platform package from there.
  let runtime: string | undefined
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json')
    if (existsSync(candidate)) {
      runtime = realpathSync(candidate)
      break
    }
    if (dirname(dir) === dir) return undefined
  }
  try {
    const manifest = createRequire(runtime).resolve(`${platformPackage}/package.json`)
    const binary = join(dirname(manifest), name === 'bun' ? 'bin/bun' : 'deno')
    return existsSync(binary) ? binary : undefined
  } catch {
    return undefined
  }
}
