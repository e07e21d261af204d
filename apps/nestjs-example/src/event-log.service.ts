import { Injectable } from '@nestjs/common'
import type { SuperOfficeAnyEvent } from '@superoffice-webhooks/core'
import { OnSuperOfficeEvent } from '@superoffice-webhooks/nestjs'

/** The catch-all: every event but `test`, documented or custom, one line each. */
@Injectable()
export class EventLogService {
  events = 0

  @OnSuperOfficeEvent('*')
  log(event: SuperOfficeAnyEvent): void {
    this.events++
    process.stdout.write(
      `superoffice event=${event.Event} key=${event.PrimaryKey} tenant=${event.ContextIdentifier} id=${event.EventId}\n`,
    )
  }
}
