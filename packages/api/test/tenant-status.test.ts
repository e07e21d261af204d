// The tenant status webhook over real HTTP: notifications signed by the stand-in's published key,
// and forged ones.
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createMemorySecretStore } from '@superoffice-webhooks/core'
import { type SuperOfficeOnline, startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import {
  createSuperOfficeApi,
  createSuperOfficeTenantStatus,
  type SuperOfficeTenantStatus,
  type SuperOfficeTenantStatusNotification,
  superOfficeTenantChangeTypes,
} from '../src/index.js'

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })

let online: SuperOfficeOnline
let server: Server | undefined
beforeEach(async () => {
  online = await startSuperOfficeOnline({ appPublicKey: publicKey, tenants: { Cust12345: {}, Cust999: {} } })
})
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
  await online.close()
})

/** Serves the receiver on a loopback port, as an adapter would (a Node request in). */
async function serve(receiver: SuperOfficeTenantStatus): Promise<string> {
  server = createServer(async (req, res) => {
    const answer = await receiver.receive({
      method: req.method ?? 'GET',
      headers: req.headers,
      url: req.url ?? '/',
      body: { node: req },
    })
    res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/superoffice/tenant-status`
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('createSuperOfficeTenantStatus', () => {
  it('delivers each change type, typed, by name, by number and to the catch-all', async () => {
    const status = createSuperOfficeTenantStatus({
      environment: { authority: online.authority },
      applicationId: online.applicationId,
      logger: false,
    })
    const seen: string[] = []
    status.on('Move', (n) => {
      expectTypeOf(n).toEqualTypeOf<SuperOfficeTenantStatusNotification<'Move'>>()
      expectTypeOf(n.ChangeType).toEqualTypeOf<5>()
      seen.push(`Move:${n.PublicEndpoint}`)
    })
    status.on(0, (n) => {
      expectTypeOf(n.ChangeName).toEqualTypeOf<'Upgrade'>()
      seen.push(`Upgrade:${n.VersionName}`)
    })
    const all: string[] = []
    status.on('*', (n) => {
      all.push(`${n.ChangeName}/${n.ChangeType}/${n.ContextIdentifier}`)
    })
    const url = await serve(status)
    for (const change of Object.keys(superOfficeTenantChangeTypes) as (keyof typeof superOfficeTenantChangeTypes)[]) {
      const response = await post(url, await online.notification('Cust12345', change))
      expect(response.status, change).toBe(200)
      expect(await response.json()).toEqual({ ok: true })
    }
    expect(all).toEqual([
      'Upgrade/0/Cust12345',
      'BackupRestored/1/Cust12345',
      'Suspend/2/Cust12345',
      'Resume/3/Cust12345',
      'Delete/4/Cust12345',
      'Move/5/Cust12345',
    ])
    expect(seen).toEqual(['Upgrade:Release_11.10_stand-in', `Move:${new URL(online.hosts[0]).host}`])
  })

  it('a change type this version does not know reaches the catch-all as Unknown', async () => {
    const status = createSuperOfficeTenantStatus({
      environment: { authority: online.authority },
      applicationId: online.applicationId,
      logger: false,
    })
    const names: string[] = []
    status.on('*', (n) => {
      names.push(`${n.ChangeName}:${n.ChangeType}`)
    })
    const body = { ...(await online.notification('Cust12345', 'Upgrade')), ChangeType: 9 }
    expect((await post(await serve(status), body)).status).toBe(200)
    expect(names).toEqual(['Unknown:9'])
  })

  it('refuses with 401: a token by another key, for another tenant, expired, or none; never runs a handler', async () => {
    const status = createSuperOfficeTenantStatus({
      environment: { authority: online.authority },
      applicationId: online.applicationId,
      logger: false,
    })
    let handled = 0
    status.on('*', () => {
      handled++
    })
    const codes: string[] = []
    status.onError((error) => {
      codes.push(`${error.code}: ${(error.cause as Error | undefined)?.message ?? ''}`)
    })
    const url = await serve(status)
    const forged = [
      await online.notification('Cust12345', 'Delete', { key: 'foreign' }),
      await online.notification('Cust12345', 'Delete', { tokenTenant: 'Cust999' }),
      await online.notification('Cust12345', 'Delete', { expired: true }),
      { ...(await online.notification('Cust12345', 'Delete')), Token: undefined },
      { ...(await online.notification('Cust12345', 'Delete')), Token: 'not.a.jwt' },
    ]
    for (const body of forged) {
      const response = await post(url, body)
      expect(response.status).toBe(401)
      const answer = (await response.json()) as { ok: boolean; error: string; message: string }
      expect(answer.ok).toBe(false)
      expect(answer.message).not.toMatch(/eyJ/) // no token echoed
    }
    expect(handled).toBe(0)
    expect(codes).toEqual([
      "token_invalid: the token's key is not among SuperOffice's published keys",
      'token_invalid: the token is for tenant Cust999, the body for Cust12345',
      'token_invalid: the token has expired',
      'token_missing: ',
      'token_invalid: the token is not a well-formed JWT',
    ])
  })

  it('bad input gets its status: not JSON 400, not a notification 400, GET 405, too large 413; never 410', async () => {
    const status = createSuperOfficeTenantStatus({
      environment: { authority: online.authority },
      applicationId: online.applicationId,
      logger: false,
    })
    const url = await serve(status)
    const notJson = await fetch(url, { method: 'POST', body: '{"ChangeType":' })
    expect([notJson.status, ((await notJson.json()) as { error: string }).error]).toEqual([400, 'invalid_json'])
    const notNotification = await post(url, { Event: 'sale.sold' })
    expect([notNotification.status, ((await notNotification.json()) as { error: string }).error]).toEqual([
      400,
      'invalid_envelope',
    ])
    const get = await fetch(url)
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST'])
    await get.body?.cancel()
    const huge = await fetch(url, { method: 'POST', body: 'x'.repeat(100_000) })
    expect(huge.status).toBe(413)
    await huge.body?.cancel()
  })

  it('a handler that fails is 500 (SuperOffice may retry), reported to onError', async () => {
    const status = createSuperOfficeTenantStatus({
      environment: { authority: online.authority },
      applicationId: online.applicationId,
      logger: false,
    })
    status.on('Suspend', () => {
      throw new Error('the database is down')
    })
    const errors: unknown[] = []
    status.onError((error) => {
      errors.push(error.cause)
    })
    const response = await post(await serve(status), await online.notification('Cust12345', 'Suspend'))
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({
      ok: false,
      error: 'handler_failed',
      message: 'A handler failed; SuperOffice may retry.',
    })
    expect(String(errors[0])).toMatch(/the database is down/)
  })

  it("with secrets, a Delete forgets that tenant's webhook secrets (no other tenant's); a store that fails answers 500 and the retry is handled", async () => {
    const secrets = createMemorySecretStore({ Cust12345: ['a-secret'], Cust999: ['b-secret'] })
    let failing = true
    const flaky = {
      delete: async (tenant: string) => {
        if (failing) throw new Error('the store is down')
        await secrets.delete(tenant)
      },
    }
    const status = createSuperOfficeTenantStatus({
      environment: { authority: online.authority },
      applicationId: online.applicationId,
      secrets: flaky,
      logger: false,
    })
    const deleted: string[] = []
    status.on('Delete', (n) => void deleted.push(n.ContextIdentifier))
    const url = await serve(status)
    const notification = await online.notification('Cust12345', 'Delete')
    const first = await post(url, notification)
    expect(first.status).toBe(500)
    expect(await first.json()).toMatchObject({ error: 'secret_unavailable' })
    expect(deleted).toEqual([]) // the handlers wait for the secrets to be forgotten
    failing = false
    expect((await post(url, notification)).status).toBe(200) // SuperOffice's retry
    expect(deleted).toEqual(['Cust12345'])
    expect(await secrets.get('Cust12345')).toEqual([])
    expect(await secrets.get('Cust999')).toEqual(['b-secret'])
    // Another change type leaves the secrets alone.
    expect((await post(url, await online.notification('Cust999', 'Suspend'))).status).toBe(200)
    expect(await secrets.get('Cust999')).toEqual(['b-secret'])
  })

  it('a Move makes the API client look the endpoint up at once: no 421 on the next call', async () => {
    const api = createSuperOfficeApi({
      environment: { authority: online.authority },
      applicationToken: online.applicationToken,
      privateKey,
      systemUserToken: 'Cust12345-system-user',
    })
    await api.request('Cust12345', 'GET', '/Sale/1')
    const status = createSuperOfficeTenantStatus({
      environment: { authority: online.authority },
      applicationId: online.applicationId,
      api,
      logger: false,
    })
    const url = await serve(status)
    online.moveTenant('Cust12345')
    expect((await post(url, await online.notification('Cust12345', 'Move'))).status).toBe(200)
    await api.request('Cust12345', 'GET', '/Sale/2')
    expect(online.calls.some((c) => c.status === 421)).toBe(false)
    expect(online.calls.filter((c) => c.path === '/api/state/Cust12345')).toHaveLength(2)
  })

  it('on() refuses what is not a change type', () => {
    const status = createSuperOfficeTenantStatus({ environment: 'online', applicationId: 'app' })
    // @ts-expect-error not a change type
    expect(() => status.on('Moved', () => {})).toThrow(/not a tenant status change/)
    // @ts-expect-error not a change number
    expect(() => status.on(7, () => {})).toThrow(/not a tenant status change/)
  })
})

describe('who may send a tenant status (issue 28)', () => {
  const receiverWith = (extra: Partial<Parameters<typeof createSuperOfficeTenantStatus>[0]> = {}) => {
    const status = createSuperOfficeTenantStatus({
      environment: { authority: online.authority },
      applicationId: online.applicationId,
      logger: false,
      ...extra,
    })
    const handled: string[] = []
    status.on('*', (n) => {
      handled.push(`${n.ChangeName}:${n.ContextIdentifier}`)
    })
    const codes: string[] = []
    status.onError((error) => {
      codes.push(`${error.status} ${error.code}: ${(error.cause as Error | undefined)?.message ?? ''}`)
    })
    return { status, handled, codes }
  }
  const ctx = 'http://schemes.superoffice.net/identity/ctx'

  it("another app's id_token, a system user's token and this app's own sign-in are refused; the app id as spn: is accepted", async () => {
    const { status, handled, codes } = receiverWith()
    const url = await serve(status)
    const base = await online.notification('Cust12345', 'Delete')
    const otherApp = await online.signToken({
      [ctx]: 'Cust12345',
      aud: 'another-app',
      sub: 'tenant status',
    })
    const systemUser = await online.signToken({
      [ctx]: 'Cust12345',
      aud: 'spn:1801550193',
      'http://schemes.superoffice.net/identity/ticket': '7T:abc',
    })
    const ownSignIn = await online.signToken({
      [ctx]: 'Cust12345',
      aud: online.applicationId,
      nonce: 'n-1',
      'http://schemes.superoffice.net/identity/associateid': '5',
      'http://schemes.superoffice.net/identity/system_token': 'App-xyz',
    })
    const noAudience = await online.signToken({ [ctx]: 'Cust12345', sub: 'tenant status' })
    for (const Token of [otherApp, systemUser, ownSignIn, noAudience]) {
      const response = await post(url, { ...base, ChangeType: 2, Token })
      expect(response.status).toBe(401)
      expect(JSON.stringify(await response.json())).not.toMatch(/eyJ|ticket|another-app/)
    }
    expect(handled).toEqual([])
    expect(codes).toEqual([
      "401 token_invalid: the token's audience (another-app) is not this app",
      "401 token_invalid: the token's audience (spn:1801550193) is not this app",
      '401 token_invalid: the token carries http://schemes.superoffice.net/identity/system_token: a sign-in or system-user token, not a notification',
      "401 token_invalid: the token's audience (none) is not this app",
    ])
    const spn = await online.notification('Cust12345', 'Suspend', { audience: `spn:${online.applicationId}` })
    expect((await post(url, spn)).status).toBe(200)
    const listed = await online.notification('Cust12345', 'Resume', { audience: ['other', online.applicationId] })
    expect((await post(url, listed)).status).toBe(200)
    expect(handled).toEqual(['Suspend:Cust12345', 'Resume:Cust12345'])
  })

  it('a notification posted again is refused (401 token_replayed) until its token expires; a retry after a 500 is handled', async () => {
    const { status, handled, codes } = receiverWith()
    let failOnce = true
    status.on('Suspend', () => {
      if (failOnce) {
        failOnce = false
        throw new Error('database down')
      }
    })
    const url = await serve(status)
    const remove = await online.notification('Cust12345', 'Delete')
    expect((await post(url, remove)).status).toBe(200)
    const replayed = await post(url, remove)
    expect([replayed.status, ((await replayed.json()) as { error: string }).error]).toEqual([401, 'token_replayed'])
    // The same token with another ChangeType is the same token: refused too.
    expect((await post(url, { ...remove, ChangeType: 2 })).status).toBe(401)
    // Two at once: one is handled, the other refused.
    const suspend = await online.notification('Cust999', 'Upgrade')
    const both = await Promise.all([post(url, suspend), post(url, suspend)])
    expect(both.map((r) => r.status).sort()).toEqual([200, 401])

    const retried = await online.notification('Cust12345', 'Suspend')
    expect((await post(url, retried)).status).toBe(500) // the handler failed: the claim is released
    expect((await post(url, retried)).status).toBe(200) // SuperOffice's retry of the same notification
    expect(handled).toEqual(['Delete:Cust12345', 'Upgrade:Cust999', 'Suspend:Cust12345', 'Suspend:Cust12345'])
    expect(codes.filter((c) => c.includes('token_replayed'))).toHaveLength(3)
  })

  it('without an applicationId every notification is 500 application_id_missing, logged with what to set', async () => {
    const logged: string[] = []
    const status = createSuperOfficeTenantStatus({
      environment: { authority: online.authority },
      applicationId: undefined,
      logger: { warn: (line: string) => logged.push(line), error: (line: string) => logged.push(line) },
    })
    let handled = 0
    status.on('*', () => {
      handled++
    })
    const response = await post(await serve(status), await online.notification('Cust12345', 'Delete'))
    expect(response.status).toBe(500)
    const body = (await response.json()) as { error: string; message: string }
    expect(body).toEqual({ ok: false, error: 'application_id_missing', message: 'The receiver is not configured.' })
    expect(handled).toBe(0)
    expect(logged.join('\n')).toMatch(/application_id_missing 500: .*no applicationId .*SUPEROFFICE_CLIENT_ID/)
  })

  it("SuperOffice's key set down, hanging or endless: 503 keys_unavailable (SuperOffice retries), the cause logged, the download bounded", async () => {
    const logged: string[] = []
    const status = createSuperOfficeTenantStatus({
      environment: { authority: online.authority },
      applicationId: online.applicationId,
      timeoutMs: 1_500,
      logger: { warn: (line: string) => logged.push(line), error: (line: string) => logged.push(line) },
    })
    let handled = 0
    status.on('*', () => {
      handled++
    })
    const url = await serve(status)
    for (const mode of ['down', 'hang', 'endless'] as const) {
      online.setKeySet(mode)
      const response = await post(url, await online.notification('Cust12345', 'Suspend'))
      expect([mode, response.status]).toEqual([mode, 503])
      expect(((await response.json()) as { error: string }).error).toBe('keys_unavailable')
    }
    expect(handled).toBe(0)
    expect(logged[0]).toMatch(/keys_unavailable 503: SuperOffice's key set could not be read \(Expected 200 OK/)
    expect(logged[1]).toMatch(/keys_unavailable 503: SuperOffice's key set could not be read .*within 1500 ms/)
    expect(logged[2]).toMatch(
      /keys_unavailable 503: SuperOffice's key set could not be read .*larger than 262144 bytes/,
    )
    // The endless answer was cut off: what the stand-in managed to write is socket buffers, not 1 GiB.
    expect(online.keySetBytesSent).toBeLessThan(64 * 1024 * 1024)
    // Back up: the same kind of notification is handled.
    online.setKeySet('published')
    expect((await post(url, await online.notification('Cust12345', 'Suspend'))).status).toBe(200)
    expect(handled).toBe(1)
  })
})
