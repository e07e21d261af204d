import { Injectable } from '@nestjs/common'
import type { SuperOfficeEvent, SuperOfficeEventFor } from '@superoffice-webhooks/core'
import { OnSuperOfficeEvent } from '@superoffice-webhooks/nestjs'

/** Business handlers: typed by the event name in the decorator. */
@Injectable()
export class SalesService {
  readonly stats = { sold: 0, soldByCurrency: {} as Record<string, number>, saleEvents: 0 }

  @OnSuperOfficeEvent('sale.sold')
  onSold(event: SuperOfficeEvent<'sale.sold'>): void {
    this.stats.sold++
    const currency = String(event.FieldValues?.currency_id ?? 'unknown')
    this.stats.soldByCurrency[currency] = (this.stats.soldByCurrency[currency] ?? 0) + 1
  }

  @OnSuperOfficeEvent('sale.*')
  onSaleEvent(_event: SuperOfficeEventFor<'sale.*'>): void {
    this.stats.saleEvents++
  }
}
