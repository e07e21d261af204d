import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common'
import type { SuperOfficeInbox, SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { SUPEROFFICE_INBOX, SUPEROFFICE_WEBHOOKS } from './constants.js'
import {
  SUPEROFFICE_WEBHOOKS_OPTIONS,
  type SuperOfficeWebhooksModuleOptions,
} from './superoffice-webhooks.module-definition.js'

/**
 * Starts the receiver's inbox worker once every `@OnSuperOfficeEvent` handler is registered
 * (unless `worker: false`, for receiver-only instances), and closes the receiver on shutdown:
 * early-answered work, the worker, the inbox. Core runs the engine; this only calls `start` and
 * `close`.
 */
@Injectable()
export class SuperOfficeInboxRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SuperOfficeWebhooks')

  constructor(
    @Inject(SUPEROFFICE_WEBHOOKS_OPTIONS) private readonly options: SuperOfficeWebhooksModuleOptions,
    @Inject(SUPEROFFICE_WEBHOOKS) private readonly webhooks: SuperOfficeWebhooks,
    @Inject(SUPEROFFICE_INBOX) private readonly inbox: SuperOfficeInbox | undefined,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.inbox || this.options.worker === false) return
    if (typeof this.inbox.work !== 'function') {
      this.logger.warn('the inbox has no work(); run its worker yourself, or pass worker: false')
      return
    }
    const options = typeof this.options.worker === 'object' ? this.options.worker : {}
    // Not awaited: a Redis that is down at boot is waited for by the worker, not by the app.
    this.webhooks.start(options).then(
      () => this.logger.log('inbox worker started: @OnSuperOfficeEvent handlers run from the queue'),
      (error: unknown) => this.logger.error(`the inbox worker did not start: ${(error as Error).message}`),
    )
  }

  async onApplicationShutdown(): Promise<void> {
    await this.webhooks.close()
  }
}
