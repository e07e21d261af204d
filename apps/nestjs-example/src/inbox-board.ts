import { timingSafeEqual } from 'node:crypto'
import { ExpressAdapter } from '@bull-board/express'
import { type BullBoardInstance, BullBoardModule, InjectBullBoard } from '@bull-board/nestjs'
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common'
import type { BullMQInbox } from '@superoffice-webhooks/bullmq'
import { superOfficeInboxBoard } from '@superoffice-webhooks/bullmq/board'
import type { SuperOfficeInbox } from '@superoffice-webhooks/core'
import { SUPEROFFICE_INBOX } from '@superoffice-webhooks/nestjs'

interface Req {
  headers: Record<string, string | string[] | undefined>
}
interface Res {
  statusCode: number
  setHeader(name: string, value: string): void
  end(body?: string): void
}

/**
 * The page's own auth: bull-board's routes are Express middleware, outside Nest's guards, so the
 * page asks for the browser's sign-in itself (user `inbox`, password INBOX_BOARD_PASSWORD).
 * Without the variable the page answers 404: it shows customers' data and is never open by
 * default. Put your app's real auth here when it has one.
 */
function requireBoardSignIn(req: Req, res: Res, next: () => void): void {
  const token = process.env.INBOX_BOARD_PASSWORD
  if (!token) {
    res.statusCode = 404
    res.end()
    return
  }
  const given = Buffer.from(String(req.headers.authorization ?? ''))
  const expected = Buffer.from(`Basic ${Buffer.from(`inbox:${token}`).toString('base64')}`)
  if (given.length === expected.length && timingSafeEqual(given, expected)) {
    next()
    return
  }
  res.statusCode = 401
  res.setHeader('www-authenticate', 'Basic realm="SuperOffice inbox"')
  res.end()
}

/** bull-board mounted at /admin/inbox (Express platform), behind {@link requireBoardSignIn}. */
export const InboxBoardModule = BullBoardModule.forRoot({
  route: '/admin/inbox',
  adapter: ExpressAdapter,
  middleware: requireBoardSignIn,
})

/** Adds the SuperOffice inbox to the page when the app runs with one (SUPEROFFICE_INBOX=bullmq). */
@Injectable()
export class InboxBoard implements OnApplicationBootstrap {
  constructor(
    @InjectBullBoard() private readonly board: BullBoardInstance,
    @Inject(SUPEROFFICE_INBOX) private readonly inbox: SuperOfficeInbox | undefined,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.inbox) return
    const inbox = this.inbox as BullMQInbox
    await inbox.ready()
    // Read-only unless INBOX_BOARD_ACTIONS=1: then retry (and bull-board's clean, promote, remove) work.
    this.board.addQueue(superOfficeInboxBoard(inbox, { actions: process.env.INBOX_BOARD_ACTIONS === '1' }))
  }
}
