import { createSuperOfficeApi, superOfficeApiOptionsFromEnv } from '@superoffice-webhooks/api'

// The app's SuperOffice API client: the module hands this file's default export to the receiver,
// so handlers have context.fetchEntity(). Configured by SUPEROFFICE_APP_TOKEN,
// SUPEROFFICE_PRIVATE_KEY[_FILE], SUPEROFFICE_SYSTEM_USER_TOKEN and SUPEROFFICE_ENVIRONMENT;
// without them the app runs without one.
export const apiOptions = superOfficeApiOptionsFromEnv()
export const api = apiOptions ? createSuperOfficeApi(apiOptions) : undefined

export default () => api
