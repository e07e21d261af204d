// #region readme
// sales.service.ts
import { Injectable } from '@nestjs/common'
import type { SuperOfficeEvent, SuperOfficeEventFor } from '@superoffice-webhooks/core'
import { OnSuperOfficeEvent } from '@superoffice-webhooks/nestjs'
import { CrmClient } from './crm.client' // a value import: Nest injects by the class

@Injectable()
export class SalesService {
  constructor(private readonly crm: CrmClient) {}

  @OnSuperOfficeEvent('sale.sold')
  onSold(event: SuperOfficeEvent<'sale.sold'>) {
    // typed by the decorator's event name; `import type` keeps decorator metadata happy
    return this.crm.markWon(event.PrimaryKey)
  }

  @OnSuperOfficeEvent('contact.*', 'person.created') // wildcards and lists too
  onContact(event: SuperOfficeEventFor<'contact.*' | 'person.created'>) {
    console.log(event.Event)
  }
}
// #endregion readme
