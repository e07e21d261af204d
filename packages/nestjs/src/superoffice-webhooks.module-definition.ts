import { ConfigurableModuleBuilder } from '@nestjs/common'
import type {
  SuperOfficeInbox,
  SuperOfficeWebhooks,
  SuperOfficeWebhooksOptions,
  SuperOfficeWorkerOptions,
} from '@superoffice-webhooks/core'
import { DEFAULT_WEBHOOK_PATH } from './constants.js'
import { createWebhookController } from './superoffice-webhooks.controller.js'
import { createRawBodyReader } from './superoffice-webhooks.raw-body.js'

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
}

/** Options known when the module is defined, for `forRoot` and `forRootAsync` alike. */
export interface SuperOfficeWebhooksModuleExtras {
  /** Route of the webhook, after the app's global prefix. Default `webhooks/superoffice`. */
  path?: string
  /**
   * Decorators for the webhook route (applied to its handler), so global guards, throttlers,
   * versioning and interceptors leave SuperOffice alone: `[Public(), SkipThrottle(),
   * Version(VERSION_NEUTRAL)]`. The route also carries `SUPEROFFICE_WEBHOOK_ROUTE` metadata for
   * guards to test.
   */
  controllerDecorators?: MethodDecorator[]
}

export const {
  ConfigurableModuleClass: SuperOfficeWebhooksConfigurableModule,
  MODULE_OPTIONS_TOKEN: SUPEROFFICE_WEBHOOKS_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SuperOfficeWebhooksModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<SuperOfficeWebhooksModuleExtras>({ path: DEFAULT_WEBHOOK_PATH }, (definition, extras) => ({
    ...definition,
    controllers: [
      ...(definition.controllers ?? []),
      createWebhookController(extras.path ?? DEFAULT_WEBHOOK_PATH, extras.controllerDecorators),
    ],
    providers: [...(definition.providers ?? []), createRawBodyReader(extras.path ?? DEFAULT_WEBHOOK_PATH)],
  }))
  .build()
