// #region readme
// server/superoffice/api.ts
import { createSuperOfficeApi, superOfficeApiOptionsFromEnv } from '@superoffice-webhooks/api'

const options = superOfficeApiOptionsFromEnv() // SUPEROFFICE_APP_TOKEN, SUPEROFFICE_PRIVATE_KEY…
export const api = options ? createSuperOfficeApi(options) : undefined
export default () => api
// #endregion readme
