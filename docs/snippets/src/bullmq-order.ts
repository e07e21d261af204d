import { createSuperOfficeApi } from '@superoffice-webhooks/api'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'

declare const db: {
  sales: {
    find(id: number): Promise<{ syncedAt: string } | undefined>
    save(row: { id: number; syncedAt: string } & Record<string, unknown>): Promise<void>
  }
}
const api = createSuperOfficeApi({ environment: 'online', accessToken: 'token' })
const webhooks = createSuperOfficeWebhooks({ secret: 'secret', api })

// #region readme
webhooks.on('sale.changed', async (event, context) => {
  const row = await db.sales.find(event.PrimaryKey)
  if (!context.isNewerThan(row?.syncedAt)) return // an older change arriving late
  await db.sales.save({ id: event.PrimaryKey, syncedAt: event.Timestamp, ...(await context.fetchEntity()) })
})
// #endregion readme
