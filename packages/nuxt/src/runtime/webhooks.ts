import { createSuperOfficeWebhooks, type SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { useRuntimeConfig } from '#imports'
import handlers from '#superoffice-webhooks/handlers'
import { createBullMQInbox } from '#superoffice-webhooks/inbox'
import type { SuperOfficeEventHandlerDefinition } from './define.js'

interface RuntimeConfig {
  secret?: string
  tenantSecrets?: Record<string, string> | string
  redisUrl?: string
  options?: {
    strict?: boolean
    maxBodyBytes?: number
    respond?: 'after-handlers' | 'after-claim'
    inbox?: false | { queueName?: string; worker?: boolean }
  }
}

/** The BullMQ inbox's part this runtime uses. */
export interface NuxtInbox {
  enqueue(job: never): Promise<unknown>
  work(webhooks: SuperOfficeWebhooks): { close(): Promise<void> }
  close(): Promise<void>
}

let inbox: NuxtInbox | undefined

/** The inbox, when the module's `inbox` option is on (needs NUXT_SUPEROFFICE_WEBHOOKS_REDIS_URL). */
export function useInbox(): NuxtInbox | undefined {
  const config = webhookConfig()
  const wanted = config.options?.inbox
  if (!wanted || !createBullMQInbox) return undefined
  if (!config.redisUrl) throw new Error('the inbox needs NUXT_SUPEROFFICE_WEBHOOKS_REDIS_URL (a redis:// URL)')
  inbox ??= (createBullMQInbox as (options: object) => NuxtInbox)({
    connection: config.redisUrl,
    ...(wanted.queueName ? { queueName: wanted.queueName } : {}),
  })
  return inbox
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
  const { inbox: _inbox, ...options } = webhookConfig().options ?? {}
  const queue = useInbox()
  webhooks = createSuperOfficeWebhooks({
    ...options,
    ...(queue ? { inbox: queue as never } : {}),
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
