import { Injectable } from '@nestjs/common'
import '@superoffice-webhooks/api' // types context.fetchEntity() with SuperOffice's carriers
import type { SuperOfficeEvent, SuperOfficeEventContext, SuperOfficeEventFor } from '@superoffice-webhooks/core'
import { OnSuperOfficeEvent } from '@superoffice-webhooks/nestjs'

/** Business handlers: typed by the event name in the decorator. */
@Injectable()
export class SalesService {
  readonly stats = { sold: 0, soldByCurrency: {} as Record<string, number>, saleEvents: 0 }

  @OnSuperOfficeEvent('sale.sold')
  async onSold(event: SuperOfficeEvent<'sale.sold'>, context: SuperOfficeEventContext<'sale.sold'>): Promise<void> {
    this.stats.sold++
    const currency = String(event.FieldValues?.currency_id ?? 'unknown')
    this.stats.soldByCurrency[currency] = (this.stats.soldByCurrency[currency] ?? 0) + 1
    if (process.env.SUPEROFFICE_APP_TOKEN || process.env.SUPEROFFICE_ACCESS_TOKEN) {
      // The Sale behind the event, from the tenant's API (null when it was deleted since).
      const sale = await context.fetchEntity()
      console.log(`superoffice fetched sale ${event.PrimaryKey}: ${sale ? sale.Heading : '(deleted)'}`)
    }
  }

  @OnSuperOfficeEvent('sale.*')
  onSaleEvent(_event: SuperOfficeEventFor<'sale.*'>): void {
    this.stats.saleEvents++
  }
}
