import { readFileSync } from 'node:fs'
import type { SuperOfficeApiOptions } from './api.js'
import type { SuperOfficeEnvironment } from './environment.js'

/**
 * `createSuperOfficeApi` options from the environment, for apps configured by variables:
 * `SUPEROFFICE_ENVIRONMENT` (`sod`, `stage`, `online` (default), or an authority URL),
 * `SUPEROFFICE_APP_TOKEN`, the key in `SUPEROFFICE_PRIVATE_KEY` (PEM or RSA XML; `\n` escapes are
 * turned into line breaks) or the file `SUPEROFFICE_PRIVATE_KEY_FILE`, and
 * `SUPEROFFICE_SYSTEM_USER_TOKEN`; or `SUPEROFFICE_ACCESS_TOKEN` instead of a system user.
 * `undefined` when none of the credentials is set (the app runs without an API client); a
 * TypeError naming the missing variables when only some are.
 *
 * @example
 * ```ts
 * const options = superOfficeApiOptionsFromEnv()
 * const api = options ? createSuperOfficeApi(options) : undefined
 * const webhooks = createSuperOfficeWebhooks({ secret, ...(api ? { api } : {}) })
 * ```
 */
export function superOfficeApiOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): SuperOfficeApiOptions | undefined {
  const value = (name: string) => (env[name] ? env[name] : undefined)
  const name = value('SUPEROFFICE_ENVIRONMENT') ?? 'online'
  const environment: SuperOfficeEnvironment =
    name === 'sod' || name === 'stage' || name === 'online' ? name : { authority: name }
  if (typeof environment !== 'string' && !/^https?:\/\//.test(environment.authority)) {
    throw new TypeError(`SUPEROFFICE_ENVIRONMENT must be sod, stage, online or an authority URL, not '${name}'.`)
  }
  const applicationToken = value('SUPEROFFICE_APP_TOKEN')
  const accessToken = value('SUPEROFFICE_ACCESS_TOKEN')
  const systemUserToken = value('SUPEROFFICE_SYSTEM_USER_TOKEN')
  const keyFile = value('SUPEROFFICE_PRIVATE_KEY_FILE')
  let privateKey = value('SUPEROFFICE_PRIVATE_KEY')?.replace(/\\n/g, '\n')
  if (keyFile) {
    try {
      privateKey = readFileSync(keyFile, 'utf8')
    } catch (error) {
      throw new TypeError(
        `SUPEROFFICE_PRIVATE_KEY_FILE: cannot read ${keyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      )
    }
  }
  if (accessToken && !systemUserToken) {
    return { environment, accessToken, ...(applicationToken ? { applicationToken } : {}) }
  }
  if (!applicationToken && !systemUserToken && !privateKey) return undefined
  const missing = [
    applicationToken ? '' : 'SUPEROFFICE_APP_TOKEN',
    privateKey ? '' : 'SUPEROFFICE_PRIVATE_KEY or SUPEROFFICE_PRIVATE_KEY_FILE',
    systemUserToken ? '' : 'SUPEROFFICE_SYSTEM_USER_TOKEN',
  ].filter(Boolean)
  if (missing.length > 0) throw new TypeError(`A SuperOffice system user also needs ${missing.join(', ')}.`)
  return { environment, applicationToken, privateKey, systemUserToken }
}
