import { createSuperOfficeApi, superOfficeApiOptionsFromEnv } from '@superoffice-webhooks/api'

// SuperOffice Online, configured by SUPEROFFICE_APP_TOKEN, SUPEROFFICE_PRIVATE_KEY[_FILE],
// SUPEROFFICE_SYSTEM_USER_TOKEN and SUPEROFFICE_ENVIRONMENT; without them the app runs without it.
export const apiOptions = superOfficeApiOptionsFromEnv()
export const api = apiOptions ? createSuperOfficeApi(apiOptions) : undefined
