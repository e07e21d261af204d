import { readFileSync } from 'node:fs'
import { createSuperOfficeApi } from '@superoffice-webhooks/api'

declare const db: { systemUserTokenOf(tenant: string): Promise<string> }

// #region readme
const api = createSuperOfficeApi({
  environment: 'online',
  applicationToken: process.env.SUPEROFFICE_APP_TOKEN!,
  privateKey: readFileSync('superoffice-private-key.xml', 'utf8'),
  systemUserToken: (tenant) => db.systemUserTokenOf(tenant), // or one string for one tenant
})

// #endregion readme

export { api }
