import { ConfigurableModuleBuilder } from '@nestjs/common'
import type { SuperOfficeInbox, SuperOfficeWebhooks, SuperOfficeWebhooksOptions } from '@superoffice-webhooks/core'
import { DEFAULT_WEBHOOK_PATH } from './constants.js'
import { createWebhookController } from './superoffice-webhooks.controller.js'
import { createRawBodyReader } from './superoffice-webhooks.raw-body.js'

/**
 * The BullMQ inbox's options, as `createBullMQInbox` from `@superoffice-webhooks/bullmq` takes them.
 *
 * @example
 * ```ts
 * SuperOfficeWebhooksModule.forRoot({ secret, inbox: { connection: process.env.REDIS_URL! } })
 * ```
 */
export interface SuperOfficeNestInboxOptions {
  /** A `redis://` URL, ioredis options or an ioredis instance. */
  connection: string | object
  queueName?: string
  prefix?: string
  attempts?: number
  backoff?: { type: 'exponential' | 'fixed'; delay: number }
  enqueueTimeoutMs?: number
}

/**
 * Options of `SuperOfficeWebhooksModule.forRoot` (and what `forRootAsync`'s factory returns).
 *
 * @example
 * ```ts
 * const options: SuperOfficeWebhooksModuleOptions = { secret, inbox: { connection: redisUrl }, worker: false }
 * ```
 */
export interface SuperOfficeWebhooksModuleOptions extends Omit<SuperOfficeWebhooksOptions, 'logger' | 'inbox'> {
  /** Use this receiver instead of creating one (handlers registered with `on` keep working). */
  webhooks?: SuperOfficeWebhooks
  /**
   * A durable inbox: BullMQ options (needs `@superoffice-webhooks/bullmq` and `bullmq`) or a ready
   * inbox. Deliveries are queued and answered 200 once stored; `@OnSuperOfficeEvent` handlers run
   * in the worker, with retries.
   */
  inbox?: SuperOfficeNestInboxOptions | SuperOfficeInbox
  /**
   * Whether this instance runs the inbox's worker (default `true`; options such as
   * `{ concurrency: 10, handlerTimeoutMs: 60_000 }` imply it). `false` for receiver-only instances. The worker is closed on
   * application shutdown.
   */
  worker?: boolean | { concurrency?: number; handlerTimeoutMs?: number; closeTimeoutMs?: number }
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
