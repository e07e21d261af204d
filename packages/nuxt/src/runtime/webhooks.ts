import {
  createSuperOfficeWebhooks,
  type SuperOfficeEntityFetcher,
  type SuperOfficeInbox,
  type SuperOfficeWebhooks,
} from '@superoffice-webhooks/core'
import { useRuntimeConfig } from '#imports'
import apiExport from '#superoffice-webhooks/api'
import handlers from '#superoffice-webhooks/handlers'
import inboxExport from '#superoffice-webhooks/inbox'
import type { SuperOfficeEventHandlerDefinition } from './define.js'

interface RuntimeConfig {
  secret?: string
  tenantSecrets?: Record<string, string> | string
  options?: {
    strict?: boolean
    maxBodyBytes?: number
    respond?: 'after-handlers' | 'after-claim'
    worker?: boolean | { concurrency?: number; handlerTimeoutMs?: number; closeTimeoutMs?: number }
  }
}

let inbox: SuperOfficeInbox | undefined
let inboxRead = false

/**
 * The app's inbox, from `server/superoffice/inbox.ts` (its default export: an inbox, or a
 * function returning one or `undefined`, called once at run time so it can read the environment).
 */
export function useInbox(): SuperOfficeInbox | undefined {
  if (!inboxRead) {
    inboxRead = true
    const made = typeof inboxExport === 'function' ? (inboxExport as () => unknown)() : inboxExport
    if (made !== undefined && typeof (made as Partial<SuperOfficeInbox>).enqueue !== 'function') {
      throw new TypeError(
        'server/superoffice/inbox.ts must export an inbox (with enqueue), or a function returning one.',
      )
    }
    inbox = made as SuperOfficeInbox | undefined
  }
  return inbox
}

/**
 * The app's inbox (its `server/superoffice/inbox.ts`) in your own server routes, auto-imported:
 * for the inbox page, a health check or a replay route. `undefined` when the app has none or its
 * file returned none. Name the engine's type to use its extras.
 *
 * @example
 * ```ts
 * // server/routes/admin/inbox/[...path].ts
 * import type { BullMQInbox } from '@superoffice-webhooks/bullmq'
 *
 * const inbox = useSuperOfficeInbox<BullMQInbox>()
 * if (!inbox) throw createError({ statusCode: 404 })
 * ```
 */
export function useSuperOfficeInbox<T extends SuperOfficeInbox = SuperOfficeInbox>(): T | undefined {
  return useInbox() as T | undefined
}

/**
 * The app's SuperOffice API client, from `server/superoffice/api.ts` (its default export:
 * `createSuperOfficeApi(...)`, or a function returning it, called once at run time).
 */
function useApi(): SuperOfficeEntityFetcher | undefined {
  const made = typeof apiExport === 'function' ? (apiExport as () => unknown)() : apiExport
  if (made !== undefined && typeof (made as Partial<SuperOfficeEntityFetcher>).fetchEntity !== 'function') {
    throw new TypeError(
      'server/superoffice/api.ts must export createSuperOfficeApi(...) (with fetchEntity), or a function returning it.',
    )
  }
  return made as SuperOfficeEntityFetcher | undefined
}

export const MISSING_SECRET =
  'no webhook secret: set NUXT_SUPEROFFICE_WEBHOOKS_SECRET (runtimeConfig.superofficeWebhooks.secret) ' +
  'to the secret of your SuperOffice webhook, or NUXT_SUPEROFFICE_WEBHOOKS_TENANT_SECRETS for several tenants'

/** The module's runtime config, read per request so the built server takes it from its environment. */
export function webhookConfig(event?: unknown): RuntimeConfig {
  return ((useRuntimeConfig as (event?: unknown) => Record<string, unknown>)(event).superofficeWebhooks ??
    {}) as RuntimeConfig
}

function tenantSecrets(config: RuntimeConfig): Record<string, string> {
  const value = config.tenantSecrets
  if (typeof value === 'string') return value ? (JSON.parse(value) as Record<string, string>) : {}
  return value ?? {}
}

let webhooks: SuperOfficeWebhooks | undefined

/** The one receiver of the app, built on first use with the handler files' definitions. */
export function useSuperOfficeWebhooks(): SuperOfficeWebhooks {
  if (webhooks) return webhooks
  const { worker: _worker, ...options } = webhookConfig().options ?? {}
  const queue = useInbox()
  const api = useApi()
  webhooks = createSuperOfficeWebhooks({
    ...options,
    ...(queue ? { inbox: queue } : {}),
    ...(api ? { api } : {}),
    secret: (hint) => {
      const config = webhookConfig(hint.request)
      const perTenant = tenantSecrets(config)
      if (Object.keys(perTenant).length > 0) return hint.tenant ? perTenant[hint.tenant] : undefined
      if (!config.secret) throw new Error(MISSING_SECRET)
      return config.secret
    },
  })
  for (const definition of handlers as SuperOfficeEventHandlerDefinition[]) {
    webhooks.on(definition.selectors, definition.handler as never)
  }
  return webhooks
}
