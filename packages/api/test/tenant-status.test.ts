// The tenant status webhook over real HTTP: notifications signed by the stand-in's published key,
// and forged ones.
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
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
    const status = createSuperOfficeTenantStatus({ environment: { authority: online.authority }, logger: false })
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
    const status = createSuperOfficeTenantStatus({ environment: { authority: online.authority }, logger: false })
    const names: string[] = []
    status.on('*', (n) => {
      names.push(`${n.ChangeName}:${n.ChangeType}`)
    })
    const body = { ...(await online.notification('Cust12345', 'Upgrade')), ChangeType: 9 }
    expect((await post(await serve(status), body)).status).toBe(200)
    expect(names).toEqual(['Unknown:9'])
  })

  it('refuses with 401: a token by another key, for another tenant, expired, or none; never runs a handler', async () => {
    const status = createSuperOfficeTenantStatus({ environment: { authority: online.authority }, logger: false })
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
    const status = createSuperOfficeTenantStatus({ environment: { authority: online.authority }, logger: false })
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
    const status = createSuperOfficeTenantStatus({ environment: { authority: online.authority }, logger: false })
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

  it('a Move makes the API client look the endpoint up at once: no 421 on the next call', async () => {
    const api = createSuperOfficeApi({
      environment: { authority: online.authority },
      applicationToken: online.applicationToken,
      privateKey,
      systemUserToken: 'Cust12345-system-user',
    })
    await api.request('Cust12345', 'GET', '/Sale/1')
    const status = createSuperOfficeTenantStatus({ environment: { authority: online.authority }, api, logger: false })
    const url = await serve(status)
    online.moveTenant('Cust12345')
    expect((await post(url, await online.notification('Cust12345', 'Move'))).status).toBe(200)
    await api.request('Cust12345', 'GET', '/Sale/2')
    expect(online.calls.some((c) => c.status === 421)).toBe(false)
    expect(online.calls.filter((c) => c.path === '/api/state/Cust12345')).toHaveLength(2)
  })

  it('on() refuses what is not a change type', () => {
    const status = createSuperOfficeTenantStatus({ environment: 'online' })
    // @ts-expect-error not a change type
    expect(() => status.on('Moved', () => {})).toThrow(/not a tenant status change/)
    // @ts-expect-error not a change number
    expect(() => status.on(7, () => {})).toThrow(/not a tenant status change/)
  })
})
