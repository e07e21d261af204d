import { Controller, Get } from '@nestjs/common'
// Value imports: Nest reads these classes from the decorator metadata tsc emits.
import { EventLogService } from './event-log.service'
import { SalesService } from './sales.service'

@Controller()
export class AppController {
  constructor(
    private readonly sales: SalesService,
    private readonly log: EventLogService,
  ) {}

  @Get('healthz')
  health() {
    return { status: 'ok' }
  }

  @Get('stats')
  stats() {
    return { ...this.sales.stats, events: this.log.events }
  }
}
