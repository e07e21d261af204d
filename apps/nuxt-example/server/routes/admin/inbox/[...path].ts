import { timingSafeEqual } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { createBullBoard } from '@bull-board/api'
import { HonoAdapter } from '@bull-board/hono'
import { serveStatic } from '@hono/node-server/serve-static'
import type { BullMQInbox } from '@superoffice-webhooks/bullmq'
import { superOfficeInboxBoard } from '@superoffice-webhooks/bullmq/board'
import { Hono } from 'hono'

// The inbox page: bull-board at /admin/inbox over the app's inbox (server/superoffice/inbox.ts),
// through bull-board's Hono adapter (it has none for h3 v1's latest bull-board). It shows
// customers' data, so it answers 404 unless INBOX_BOARD_PASSWORD is set, and asks for the
// browser's sign-in (user `inbox`, that password) otherwise. Read-only unless INBOX_BOARD_ACTIONS=1.
// Put your app's real auth here when it has one.
const BASE = '/admin/inbox'
let board: Hono | undefined

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '')
  const expected = Buffer.from(`Basic ${Buffer.from(`inbox:${token}`).toString('base64')}`)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

export default defineEventHandler(async (event) => {
  const token = process.env.INBOX_BOARD_PASSWORD
  const inbox = useSuperOfficeInbox<BullMQInbox>()
  if (!token || !inbox) throw createError({ statusCode: 404 })
  if (!authorized(getHeader(event, 'authorization'), token)) {
    setHeader(event, 'www-authenticate', 'Basic realm="SuperOffice inbox"')
    throw createError({ statusCode: 401 })
  }
  if (!board) {
    await inbox.ready()
    const serverAdapter = new HonoAdapter(serveStatic).setBasePath(BASE)
    createBullBoard({
      queues: [superOfficeInboxBoard(inbox, { actions: process.env.INBOX_BOARD_ACTIONS === '1' })],
      serverAdapter,
      // bull-board finds its page files with a require.resolve a bundle cannot see; nuxt.config.ts
      // copies @bull-board/ui next to the built server, where this resolves.
      options: { uiBasePath: dirname(createRequire(import.meta.url).resolve('@bull-board/ui/package.json')) },
    })
    board = new Hono().route(BASE, serverAdapter.registerPlugin())
  }
  return board.fetch(toWebRequest(event))
})
