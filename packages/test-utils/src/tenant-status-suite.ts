// The tenant status webhook through an adapter, over real HTTP: the same receiver any adapter
// serves (SuperOfficeReceiver), checked against notifications the Online stand-in signs.
import { generateKeyPairSync } from 'node:crypto'
import { createSuperOfficeTenantStatus, type SuperOfficeTenantStatus } from '@superoffice-webhooks/api'
import { type SuperOfficeOnline, startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ContractServer } from './adapter-suite.js'

/**
 * Options of {@link runTenantStatusContract}: how the adapter serves a receiver at a path.
 */
export interface TenantStatusContractOptions {
  name: string
  start(receiver: SuperOfficeTenantStatus, path: string): Promise<ContractServer>
}

/** Runs the tenant status rows against one adapter. */
export function runTenantStatusContract(options: TenantStatusContractOptions): void {
  describe(`tenant status webhook through ${options.name}`, () => {
    let online: SuperOfficeOnline
    let server: ContractServer
    let url: string
    const seen: string[] = []
    beforeAll(async () => {
      online = await startSuperOfficeOnline({
        appPublicKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
      })
      const receiver = createSuperOfficeTenantStatus({
        environment: { authority: online.authority },
        applicationId: online.applicationId,
        logger: false,
      })
      receiver.on('*', (n) => {
        seen.push(`${n.ChangeName}:${n.ContextIdentifier}`)
      })
      const path = '/superoffice/tenant-status'
      server = await options.start(receiver, path)
      url = `${server.url}${path}`
    })
    afterAll(async () => {
      await server?.close()
      await online?.close()
    })

    const post = (body: unknown) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

    it('a notification SuperOffice signed is 200 and reaches the handlers', async () => {
      const response = await post(await online.notification('Cust12345', 'Move'))
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ ok: true })
      expect(seen).toContain('Move:Cust12345')
    })

    it('a forged token is 401 and reaches no handler; bad JSON 400; GET 405', async () => {
      const before = seen.length
      const forged = await post(await online.notification('Cust12345', 'Delete', { key: 'foreign' }))
      expect(forged.status).toBe(401)
      expect(((await forged.json()) as { error: string }).error).toBe('token_invalid')
      const notJson = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })
      expect(notJson.status).toBe(400)
      await notJson.body?.cancel()
      const get = await fetch(url)
      expect(get.status).toBe(405)
      await get.body?.cancel()
      expect(seen.length).toBe(before)
    })
  })
}
