import { ConfigurableModuleBuilder } from '@nestjs/common'
import type { SuperOfficeWebhooks, SuperOfficeWebhooksOptions } from '@superoffice-webhooks/core'
import { DEFAULT_WEBHOOK_PATH } from './constants.js'
import { createWebhookController } from './superoffice-webhooks.controller.js'

/** Options of `SuperOfficeWebhooksModule.forRoot` (and what `forRootAsync`'s factory returns). */
export interface SuperOfficeWebhooksModuleOptions extends Omit<SuperOfficeWebhooksOptions, 'logger'> {
  /** Use this receiver instead of creating one (handlers registered with `on` keep working). */
  webhooks?: SuperOfficeWebhooks
}

/** Options known when the module is defined, for `forRoot` and `forRootAsync` alike. */
export interface SuperOfficeWebhooksModuleExtras {
  /** Route of the webhook, after the app's global prefix. Default `webhooks/superoffice`. */
  path?: string
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
    controllers: [...(definition.controllers ?? []), createWebhookController(extras.path ?? DEFAULT_WEBHOOK_PATH)],
  }))
  .build()
