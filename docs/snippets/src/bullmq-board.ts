import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import Koa from 'koa'

const app = new Koa()
const inbox = createBullMQInbox({ connection: process.env.REDIS_URL! })
declare const requireAdmin: Koa.Middleware

// #region readme
import { createBullBoard } from '@bull-board/api'
import { KoaAdapter } from '@bull-board/koa'
import { superOfficeInboxBoard } from '@superoffice-webhooks/bullmq/board'

await inbox.ready()
const board = new KoaAdapter()
board.setBasePath('/admin/inbox')
createBullBoard({ queues: [superOfficeInboxBoard(inbox, { actions: true })], serverAdapter: board })
app.use(requireAdmin) // your own auth, in front of the page
app.use(board.registerPlugin())
// #endregion readme
