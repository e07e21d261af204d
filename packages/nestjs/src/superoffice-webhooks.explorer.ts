import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common'
import { DiscoveryService, MetadataScanner } from '@nestjs/core'
import type { SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { ON_SUPEROFFICE_EVENT, SUPEROFFICE_WEBHOOKS } from './constants.js'

/** Finds `@OnSuperOfficeEvent` methods on every provider at start-up and registers them. */
@Injectable()
export class SuperOfficeWebhooksExplorer implements OnModuleInit {
  private readonly logger = new Logger('SuperOfficeWebhooks')

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(SUPEROFFICE_WEBHOOKS) private readonly webhooks: SuperOfficeWebhooks,
  ) {}

  onModuleInit(): void {
    let count = 0
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue
      const prototype = Object.getPrototypeOf(instance) as object
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[name]
        if (typeof method !== 'function') continue
        const selectors: string[] | undefined = Reflect.getMetadata(ON_SUPEROFFICE_EVENT, method)
        if (!selectors?.length) continue
        const handler = (method as (...args: unknown[]) => unknown).bind(instance)
        this.webhooks.on(selectors, handler)
        count++
        this.logger.log(`${selectors.join(', ')} -> ${instance.constructor.name}.${name}()`)
      }
    }
    if (count === 0)
      this.logger.warn('no @OnSuperOfficeEvent handlers found; every event will be answered 200 unhandled')
  }
}
