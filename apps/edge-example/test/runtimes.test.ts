import { fileURLToPath } from 'node:url'
import { runFetchRuntimeContract } from '@superoffice-webhooks/test-utils/apps'
import { findRuntimeBinary } from '@superoffice-webhooks/testing'
import { describe, expect, it } from 'vitest'

// The same built fetch handler (dist/worker.js) on three runtimes that are not Node, each started
// as its own process and spoken to over HTTP. The runtimes come from npm (bun, deno, miniflare with
// workerd), pinned in this app's package.json.
const cwd = fileURLToPath(new URL('..', import.meta.url))
const bun = findRuntimeBinary('bun', cwd)
const deno = findRuntimeBinary('deno', cwd)

describe('the runtimes are installed', () => {
  it('Bun and Deno binaries come with their npm packages on this platform', () => {
    expect(bun, 'bun from npm').toBeDefined()
    expect(deno, 'deno from npm').toBeDefined()
  })
})

runFetchRuntimeContract({
  name: 'workerd (Cloudflare Workers, via Miniflare)',
  command: process.execPath,
  args: ['dist/workerd.js'],
  cwd,
  crypto: 'WebCrypto',
})

if (bun) runFetchRuntimeContract({ name: 'Bun', command: bun, args: ['dist/bun.js'], cwd, crypto: 'node:crypto' })

if (deno) {
  runFetchRuntimeContract({
    name: 'Deno',
    command: deno,
    // Only the network and the environment; no file or process access.
    args: ['run', '--allow-net', '--allow-env', '--no-prompt', 'dist/deno.js'],
    cwd,
    crypto: 'node:crypto',
    env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  })
}
