import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common'
import { DiscoveryService, MetadataScanner } from '@nestjs/core'
import type { SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { ON_SUPEROFFICE_EVENT, SUPEROFFICE_WEBHOOKS } from './constants.js'
import type { SuperOfficeEventRegistration } from './on-superoffice-event.decorator.js'

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
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<string, unknown> | undefined
      const prototype = (instance ? Object.getPrototypeOf(instance) : wrapper.metatype?.prototype) as object | undefined
      if (!prototype || typeof prototype !== 'object') continue
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = (prototype as Record<string, unknown>)[name]
        if (typeof method !== 'function') continue
        const registrations: SuperOfficeEventRegistration[] | undefined = Reflect.getMetadata(
          ON_SUPEROFFICE_EVENT,
          method,
        )
        if (!registrations?.length) continue
        const owner = `${(wrapper.metatype as { name?: string } | undefined)?.name ?? wrapper.name}.${name}`
        if (!wrapper.isDependencyTreeStatic() || !instance) {
          // A request-scoped provider has no instance to call when a delivery arrives outside any
          // request of the app's own; refusing at boot beats skipping the handler silently.
          throw new Error(
            `@OnSuperOfficeEvent on ${owner}(): the provider is request-scoped (or depends on one), so ` +
              'there is no instance to call for a delivery. Move the handler to a singleton provider, ' +
              'or inject ModuleRef there and resolve the request-scoped service with moduleRef.resolve().',
          )
        }
        const bound = (method as (...args: unknown[]) => unknown).bind(instance)
        // Named Class.method(), so log lines and onError say which handler failed.
        Object.defineProperty(bound, 'name', { value: owner })
        for (const { selectors, options } of registrations) {
          this.webhooks.on(selectors, bound, options)
          count++
          const only = options?.changed ? ` (when ${options.changed.join(', ')} changed)` : ''
          this.logger.log(`${selectors.join(', ')} -> ${owner}()${only}`)
        }
      }
    }
    if (count === 0)
      this.logger.warn('no @OnSuperOfficeEvent handlers found; every event will be answered 200 unhandled')
  }
}
