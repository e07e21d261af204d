import { ConfigurableModuleBuilder } from '@nestjs/common'
import type {
  SuperOfficeInbox,
  SuperOfficeReceiver,
  SuperOfficeWebhookAnswer,
  SuperOfficeWebhooks,
  SuperOfficeWebhooksOptions,
  SuperOfficeWorkerOptions,
} from '@superoffice-webhooks/core'
import { DEFAULT_TENANT_STATUS_PATH, DEFAULT_WEBHOOK_PATH, SUPEROFFICE_TENANT_STATUS } from './constants.js'
import { createWebhookController } from './superoffice-webhooks.controller.js'
import { createRawBodyReader } from './superoffice-webhooks.raw-body.js'

const WEBHOOK_RAW_BODY = Symbol('@superoffice-webhooks/nestjs:raw-body')
const TENANT_STATUS_RAW_BODY = Symbol('@superoffice-webhooks/nestjs:tenant-status-raw-body')
// The options token is only known once the builder ran; the provider above reads it lazily.
let SUPEROFFICE_WEBHOOKS_OPTIONS_TOKEN: string | symbol

/**
 * Options of `SuperOfficeWebhooksModule.forRoot` (and what `forRootAsync`'s factory returns).
 *
 * @example
 * ```ts
 * const options: SuperOfficeWebhooksModuleOptions = { secret, inbox: createBullMQInbox({ connection }), worker: false }
 * ```
 */
export interface SuperOfficeWebhooksModuleOptions extends Omit<SuperOfficeWebhooksOptions, 'logger' | 'inbox'> {
  /** Use this receiver instead of creating one (handlers registered with `on` keep working). */
  webhooks?: SuperOfficeWebhooks
  /**
   * A durable inbox, built by the app (`createBullMQInbox(...)` from `@superoffice-webhooks/bullmq`,
   * e.g. in `forRootAsync`'s `useFactory`): deliveries are queued and answered 200 once stored;
   * `@OnSuperOfficeEvent` handlers run in its worker, with retries. The module only starts and
   * closes it (`webhooks.start()`, `webhooks.close()`); it knows no queue engine.
   */
  inbox?: SuperOfficeInbox
  /**
   * Whether this instance runs the inbox's worker (default `true`; options such as
   * `{ concurrency: 10, handlerTimeoutMs: 60_000 }` imply it). `false` for receiver-only instances. The worker is closed on
   * application shutdown.
   */
  worker?: boolean | SuperOfficeWorkerOptions
  /**
   * The tenant status receiver (`createSuperOfficeTenantStatus(...)` from
   * `@superoffice-webhooks/api`), served at `tenantStatusPath`. Required when that path is set.
   */
  tenantStatus?: SuperOfficeReceiver & { answerError(error: unknown): SuperOfficeWebhookAnswer; maxBodyBytes: number }
}

/** Options known when the module is defined, for `forRoot` and `forRootAsync` alike. */
export interface SuperOfficeWebhooksModuleExtras {
  /** Route of the webhook, after the app's global prefix. Default `webhooks/superoffice`. */
  path?: string
  /**
   * Make the module global, so every module can inject `SUPEROFFICE_WEBHOOKS` and
   * `SUPEROFFICE_INBOX` without importing it. Default false.
   */
  isGlobal?: boolean
  /**
   * Decorators for the webhook route (applied to its handler), so global guards, throttlers,
   * versioning and interceptors leave SuperOffice alone: `[Public(), SkipThrottle(),
   * Version(VERSION_NEUTRAL)]`. The route also carries `SUPEROFFICE_WEBHOOK_ROUTE` metadata for
   * guards to test.
   */
  controllerDecorators?: MethodDecorator[]
  /**
   * Serve SuperOffice's tenant status webhook too, at this route (`true`: `superoffice/tenant-status`),
   * with the `tenantStatus` receiver of the options. The route gets the same `controllerDecorators`.
   */
  tenantStatusPath?: string | true
}

export const {
  ConfigurableModuleClass: SuperOfficeWebhooksConfigurableModule,
  MODULE_OPTIONS_TOKEN: SUPEROFFICE_WEBHOOKS_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SuperOfficeWebhooksModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<SuperOfficeWebhooksModuleExtras>({ path: DEFAULT_WEBHOOK_PATH }, (definition, extras) => {
    const statusPath = extras.tenantStatusPath === true ? DEFAULT_TENANT_STATUS_PATH : extras.tenantStatusPath
    return {
      ...definition,
      ...(extras.isGlobal ? { global: true } : {}),
      controllers: [
        ...(definition.controllers ?? []),
        createWebhookController(extras.path ?? DEFAULT_WEBHOOK_PATH, extras.controllerDecorators),
        ...(statusPath
          ? [createWebhookController(statusPath, extras.controllerDecorators, SUPEROFFICE_TENANT_STATUS)]
          : []),
      ],
      providers: [
        ...(definition.providers ?? []),
        createRawBodyReader(extras.path ?? DEFAULT_WEBHOOK_PATH, WEBHOOK_RAW_BODY),
        ...(statusPath
          ? [
              {
                provide: SUPEROFFICE_TENANT_STATUS,
                inject: [SUPEROFFICE_WEBHOOKS_OPTIONS_TOKEN],
                useFactory: (options: SuperOfficeWebhooksModuleOptions) => {
                  if (typeof options.tenantStatus?.receive !== 'function') {
                    throw new TypeError(
                      `SuperOfficeWebhooksModule: tenantStatusPath '${statusPath}' needs the tenantStatus option (createSuperOfficeTenantStatus from @superoffice-webhooks/api).`,
                    )
                  }
                  return options.tenantStatus
                },
              },
              createRawBodyReader(statusPath, TENANT_STATUS_RAW_BODY),
            ]
          : []),
      ],
    }
  })
  .build()
SUPEROFFICE_WEBHOOKS_OPTIONS_TOKEN = SUPEROFFICE_WEBHOOKS_OPTIONS
