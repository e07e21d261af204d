import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common'
import type { SuperOfficeInbox, SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { SUPEROFFICE_INBOX, SUPEROFFICE_WEBHOOKS } from './constants.js'
import {
  SUPEROFFICE_WEBHOOKS_OPTIONS,
  type SuperOfficeNestInboxOptions,
  type SuperOfficeWebhooksModuleOptions,
} from './superoffice-webhooks.module-definition.js'

/** What the module needs of a BullMQ inbox: `@superoffice-webhooks/bullmq`'s, structurally. */
interface WorkingInbox extends SuperOfficeInbox {
  work(
    webhooks: SuperOfficeWebhooks,
    options?: { concurrency?: number; handlerTimeoutMs?: number; closeTimeoutMs?: number },
  ): { close(): Promise<void> }
  close(): Promise<void>
}

const canWork = (inbox: SuperOfficeInbox | undefined): inbox is WorkingInbox =>
  typeof (inbox as Partial<WorkingInbox> | undefined)?.work === 'function'

/**
 * The inbox from the module's options: a ready one as is, or BullMQ options turned into one by
 * `@superoffice-webhooks/bullmq` (an optional peer, loaded only when used).
 */
export async function resolveInbox(
  inbox: SuperOfficeWebhooksModuleOptions['inbox'],
): Promise<SuperOfficeInbox | undefined> {
  if (inbox === undefined) return undefined
  if (typeof (inbox as SuperOfficeInbox).enqueue === 'function') return inbox as SuperOfficeInbox
  let bullmq: { createBullMQInbox(options: SuperOfficeNestInboxOptions): WorkingInbox }
  try {
    bullmq = (await import('@superoffice-webhooks/bullmq')) as never
  } catch (error) {
    throw new Error(
      'SuperOfficeWebhooksModule: the inbox option needs @superoffice-webhooks/bullmq and bullmq ' +
        '(npm install @superoffice-webhooks/bullmq bullmq).',
      { cause: error },
    )
  }
  return bullmq.createBullMQInbox(inbox as SuperOfficeNestInboxOptions)
}

/**
 * Runs the inbox's worker once every `@OnSuperOfficeEvent` handler is registered (unless
 * `worker: false`, for receiver-only instances), and closes it and the queue on shutdown.
 */
@Injectable()
export class SuperOfficeInboxRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SuperOfficeWebhooks')
  private worker: { close(): Promise<void> } | undefined

  constructor(
    @Inject(SUPEROFFICE_WEBHOOKS_OPTIONS) private readonly options: SuperOfficeWebhooksModuleOptions,
    @Inject(SUPEROFFICE_WEBHOOKS) private readonly webhooks: SuperOfficeWebhooks,
    @Inject(SUPEROFFICE_INBOX) private readonly inbox: SuperOfficeInbox | undefined,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.inbox || this.options.worker === false) return
    if (!canWork(this.inbox)) {
      this.logger.warn('the inbox has no work(); run its worker yourself, or pass worker: false')
      return
    }
    const options = typeof this.options.worker === 'object' ? this.options.worker : {}
    this.worker = this.inbox.work(this.webhooks, options)
    this.logger.log('inbox worker started: @OnSuperOfficeEvent handlers run from the queue')
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close()
    this.worker = undefined
    await this.webhooks.drain()
    if (canWork(this.inbox) && typeof this.options.inbox === 'object' && !('enqueue' in this.options.inbox)) {
      await this.inbox.close() // created here, so closed here; a given inbox is its owner's to close
    }
  }
}
