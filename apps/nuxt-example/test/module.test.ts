import { fileURLToPath } from 'node:url'
import { startExampleApp } from '@superoffice-webhooks/test-utils/apps'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { describe, expect, it } from 'vitest'

const cwd = fileURLToPath(new URL('..', import.meta.url))

describe('@superoffice-webhooks/nuxt in the built app', () => {
  it('names the missing variable at start-up, before any delivery', async () => {
    const app = await startExampleApp({
      command: process.execPath,
      args: ['.output/server/index.mjs'],
      cwd,
      env: { SUPEROFFICE_WEBHOOK_SECRET: '', NUXT_SUPEROFFICE_WEBHOOKS_SECRET: '' },
    })
    try {
      await expect
        .poll(() => app.stderr(), { timeout: 5000 })
        .toMatch(/\[superoffice-webhooks\] no webhook secret: set NUXT_SUPEROFFICE_WEBHOOKS_SECRET/)
    } finally {
      await app.stop()
    }
  })

  it('on the aws-lambda preset (a serverless preset: Nitro hands the app a mocked request) deliveries are answered', async () => {
    process.env.NUXT_SUPEROFFICE_WEBHOOKS_SECRET = 'lambda-secret'
    const { handler } = (await import(new URL('../.output-lambda/server/index.mjs', import.meta.url).href)) as {
      handler: (
        event: unknown,
        context: unknown,
      ) => Promise<{ statusCode: number; body: string; headers?: Record<string, string> }>
    }
    const invoke = (method: string, body?: string, headers: Record<string, string> = {}) =>
      handler(
        {
          version: '2.0',
          rawPath: '/webhooks/superoffice',
          rawQueryString: '',
          headers: { host: 'lambda.local', ...headers },
          requestContext: { http: { method, path: '/webhooks/superoffice', sourceIp: '127.0.0.1' } },
          ...(body === undefined ? {} : { body, isBase64Encoded: false }),
        },
        {},
      )
    const event = createTestEvent('sale.sold')
    const signed = signedPayload(event, { secret: 'lambda-secret' })
    const answer = await invoke('POST', signed.body, signed.headers)
    expect(answer.statusCode).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ ok: true })
    const forged = await invoke('POST', signed.body, {
      ...signed.headers,
      'X-SuperOffice-Signature': `${'A'.repeat(43)}=`,
    })
    expect(forged.statusCode).toBe(401)
    expect((await invoke('GET')).statusCode).toBe(405)
  })
})
