import { existsSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import {
  addServerHandler,
  addServerImports,
  addServerPlugin,
  addServerTemplate,
  createResolver,
  defineNuxtModule,
} from '@nuxt/kit'
import type { NuxtModule } from '@nuxt/schema'
import { defu } from 'defu'

/**
 * Options of the module, under `superofficeWebhooks` in `nuxt.config.ts`.
 *
 * @example
 * ```ts
 * export default defineNuxtConfig({
 *   modules: ['@superoffice-webhooks/nuxt'],
 *   superofficeWebhooks: { route: '/webhooks/superoffice' },
 * })
 * ```
 */
export interface ModuleOptions {
  /** Where SuperOffice posts. Every method is routed there (anything but POST gets 405). Default `/webhooks/superoffice`. */
  route: string
  /** The folder under `server/` whose files export `defineSuperOfficeEventHandler(...)`. Default `superoffice`. */
  handlersDir: string
  /** Strict mode of the pipeline (400 for bodies that are not the documented shape). Default false. */
  strict?: boolean
  /** Largest body accepted (413 above it). Default 1 MiB. */
  maxBodyBytes?: number
  /** `'after-claim'` answers before handlers run; Nitro's `waitUntil` keeps serverless runtimes alive for them. */
  respond?: 'after-handlers' | 'after-claim'
  /**
   * The durable inbox's worker, when the app has an inbox file (`server/superoffice/inbox.ts`,
   * whose default export is an inbox or a function that returns one): `true` (default) or worker
   * options run the handler files in this server from the queue; `false` for receiver-only servers.
   */
  worker?: boolean | { concurrency?: number; handlerTimeoutMs?: number; closeTimeoutMs?: number }
  /**
   * Where SuperOffice posts tenant status notifications, when the app has
   * `server/superoffice/tenant-status.ts` (its default export: `createSuperOfficeTenantStatus(...)`
   * from `@superoffice-webhooks/api`, or a function returning it). Default `/superoffice/tenant-status`.
   */
  tenantStatusRoute?: string
}

/** What the module puts in `runtimeConfig.superofficeWebhooks`; every key can be set by environment. */
export interface SuperOfficeWebhooksRuntimeConfig {
  /** The webhook secret: `NUXT_SUPEROFFICE_WEBHOOKS_SECRET`. */
  secret: string
  /** Several tenants: `NUXT_SUPEROFFICE_WEBHOOKS_TENANT_SECRETS='{"Cust12345":"…"}'`. */
  tenantSecrets: Record<string, string>
  /** The module's options, for the runtime. */
  options: Omit<ModuleOptions, 'handlersDir'>
}

/**
 * The Nuxt module: registers the webhook route (h3 v1 under Nuxt 4's Nitro 2), reads the secret
 * from runtime config (`NUXT_SUPEROFFICE_WEBHOOKS_SECRET`), runs the handlers exported by the
 * files in `server/superoffice/`, checks at start-up that a secret is set (and names the variable
 * when it is not), and drains early-answered work when Nitro closes.
 *
 * @example
 * ```ts
 * // nuxt.config.ts
 * export default defineNuxtConfig({ modules: ['@superoffice-webhooks/nuxt'] })
 *
 * // server/superoffice/sale-sold.ts (defineSuperOfficeEventHandler is auto-imported)
 * export default defineSuperOfficeEventHandler('sale.sold', (event, { request }) => {
 *   console.log('won', event.PrimaryKey, request.path)
 * })
 * ```
 */
const superOfficeWebhooksModule: NuxtModule<ModuleOptions> = defineNuxtModule<ModuleOptions>({
  meta: { name: '@superoffice-webhooks/nuxt', configKey: 'superofficeWebhooks', compatibility: { nuxt: '>=4.0.0' } },
  defaults: { route: '/webhooks/superoffice', handlersDir: 'superoffice' },
  setup(options, nuxt) {
    const resolver = createResolver(import.meta.url)
    const { handlersDir, ...runtimeOptions } = options
    const existing = nuxt.options.runtimeConfig.superofficeWebhooks as
      | Partial<SuperOfficeWebhooksRuntimeConfig>
      | undefined
    nuxt.options.runtimeConfig.superofficeWebhooks = defu(existing ?? {}, {
      secret: '',
      tenantSecrets: {},
      options: runtimeOptions,
    }) as never

    // The handler files, collected into one virtual module Nitro bundles with the route.
    const dir = join(nuxt.options.serverDir, handlersDir)
    // `inbox.ts`, `api.ts` and `tenant-status.ts` in that folder are the app's inbox, API client and
    // tenant status receiver, not handlers.
    const isInboxFile = (f: string) => /^inbox\.m?[jt]s$/.test(f)
    const isApiFile = (f: string) => /^api\.m?[jt]s$/.test(f)
    const isTenantStatusFile = (f: string) => /^tenant-status\.m?[jt]s$/.test(f)
    const special = (f: string) => isInboxFile(f) || isApiFile(f) || isTenantStatusFile(f)
    const fileOf = (test: (f: string) => boolean) => (existsSync(dir) ? readdirSync(dir).find(test) : undefined)
    const files = () =>
      existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => /\.(m?[jt]s)$/.test(f) && !f.endsWith('.d.ts') && !special(f))
            .sort()
        : []
    addServerTemplate({
      filename: '#superoffice-webhooks/handlers',
      getContents: () => {
        const found = files()
        if (found.length === 0) {
          console.warn(
            `[superoffice-webhooks] no handler files in ${relative(nuxt.options.rootDir, dir)}/: every event is answered 200 unhandled`,
          )
        }
        return [
          ...found.map((f, i) => `import h${i} from ${JSON.stringify(join(dir, f))}`),
          `export default [${found.map((_, i) => `h${i}`).join(', ')}]`,
        ].join('\n')
      },
    })
    nuxt.hook('builder:watch', async (_event, path) => {
      if (path.includes(`${handlersDir}/`)) await nuxt.callHook('restart')
    })

    // The app's own inbox file, when there is one: the app imports its queue engine itself, so
    // the module depends on none.
    addServerTemplate({
      filename: '#superoffice-webhooks/inbox',
      getContents: () => {
        const file = existsSync(dir) ? readdirSync(dir).find(isInboxFile) : undefined
        return file ? `export { default } from ${JSON.stringify(join(dir, file))}` : 'export default undefined'
      },
    })

    // The app's SuperOffice API client (`api.ts`): handlers then have `context.fetchEntity()`.
    addServerTemplate({
      filename: '#superoffice-webhooks/api',
      getContents: () => {
        const file = fileOf(isApiFile)
        return file ? `export { default } from ${JSON.stringify(join(dir, file))}` : 'export default undefined'
      },
    })

    addServerImports([
      { name: 'defineSuperOfficeEventHandler', from: resolver.resolve('./runtime/define') },
      { name: 'useSuperOfficeInbox', from: resolver.resolve('./runtime/webhooks') },
    ])
    addServerHandler({ route: options.route, handler: resolver.resolve('./runtime/handler') })

    // The tenant status webhook, on its own route, when the app has a receiver for it.
    const tenantStatusFile = fileOf(isTenantStatusFile)
    if (tenantStatusFile) {
      addServerTemplate({
        filename: '#superoffice-webhooks/tenant-status',
        getContents: () => `export { default } from ${JSON.stringify(join(dir, tenantStatusFile))}`,
      })
      addServerHandler({
        route: options.tenantStatusRoute ?? '/superoffice/tenant-status',
        handler: resolver.resolve('./runtime/tenant-status'),
      })
    }
    addServerPlugin(resolver.resolve('./runtime/plugin'))
  },
})

export default superOfficeWebhooksModule
