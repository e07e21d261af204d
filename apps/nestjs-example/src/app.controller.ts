import { Controller, Get } from '@nestjs/common'
import { Public } from './auth.guard'
// Value imports: Nest reads these classes from the decorator metadata tsc emits.
import { EventLogService } from './event-log.service'
import { SalesService } from './sales.service'

@Controller()
export class AppController {
  constructor(
    private readonly sales: SalesService,
    private readonly log: EventLogService,
  ) {}

  @Public()
  @Get('healthz')
  health() {
    return { status: 'ok' }
  }

  @Public()
  @Get('stats')
  stats() {
    return { ...this.sales.stats, events: this.log.events }
  }

  /** An ordinary app route behind the global auth guard (and the rate limit). */
  @Get('orders')
  orders() {
    return []
  }
}
