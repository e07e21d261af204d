import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { startSuperOfficeOnline } from '@superoffice-webhooks/testing'

/**
 * Runs two app processes (the fixture, which makes CALLS calls to tenant CustA through an API
 * client with `createSharedTenantThrottle` when SHARED=1) against one Online stand-in whose calls take 150 ms, with
 * the tenant throttle shared and then without: the most calls of the tenant in flight at once, and
 * how many were answered 200.
 */
export async function runThrottledProcesses(fixture: string, env: Record<string, string>) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const run = async (shared: boolean) => {
    const online = await startSuperOfficeOnline({ appPublicKey: publicKey, tenants: { CustA: {} }, latencyMs: 150 })
    const children = [1, 2].map(() =>
      spawn(process.execPath, [fixture], {
        env: {
          ...process.env,
          ...env,
          AUTHORITY: online.authority,
          APP_TOKEN: online.applicationToken,
          PRIVATE_KEY: pem,
          CALLS: '20',
          SHARED: shared ? '1' : '0',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    )
    try {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve, reject) => {
              let out = ''
              child.stdout.setEncoding('utf8').on('data', (c) => (out += c))
              child.once('exit', (code) =>
                code === 0 && out.includes('done')
                  ? resolve()
                  : reject(new Error(`the process exited ${code}: ${out}`)),
              )
            }),
        ),
      )
      return {
        peak: online.peakInFlight('CustA'),
        calls: online.calls.filter((c) => c.path.startsWith('/CustA/api/v1/Sale/') && c.status === 200).length,
      }
    } finally {
      for (const child of children) child.kill('SIGKILL')
      await online.close()
    }
  }
  return { shared: await run(true), alone: await run(false) }
}
