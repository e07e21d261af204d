// app/webhooks/superoffice/route.ts (the example's lib/superoffice.ts makes the receiver on first use)
import { createSuperOfficeWebhooks, type SuperOfficeWebhooks } from '@superoffice-webhooks/core'

let webhooks: SuperOfficeWebhooks | undefined
function superOffice() {
  // Thrown, not undefined: a deployment without it answers 500 secret_unavailable, never 401.
  webhooks ??= createSuperOfficeWebhooks({
    secret: () => {
      if (!process.env.SUPEROFFICE_WEBHOOK_SECRET) throw new Error('set SUPEROFFICE_WEBHOOK_SECRET')
      return process.env.SUPEROFFICE_WEBHOOK_SECRET
    },
  })
  return { webhooks }
}

// #region readme
export const runtime = 'nodejs'
export const dynamic = 'force-dynamic'
const receive = (request: Request) => superOffice().webhooks.handleRequest(request)

export { receive as GET, receive as POST } // GET gets the receiver's 405 with Allow: POST
// #endregion readme
