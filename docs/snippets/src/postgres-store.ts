// #region readme
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { createPostgresDedupeStore } from '@superoffice-webhooks/postgres'
import pg from 'pg'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
const webhooks = createSuperOfficeWebhooks({
  secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
  dedupe: { store: createPostgresDedupeStore(pool) }, // each EventId handled once across instances
})

// #endregion readme
export { webhooks }
