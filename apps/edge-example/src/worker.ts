// One fetch handler for every runtime that speaks web Requests: Cloudflare Workers (workerd), Bun,
// Deno, Vercel and Netlify edge functions. Nothing here is Node's: the signature is checked with
// node:crypto where the runtime has it (Bun, Deno) and with WebCrypto where it does not (Workers).
import { createSuperOfficeWebhooks, type SuperOfficeWebhooks, usesNodeCrypto } from '@superoffice-webhooks/core'

/** The worker's bindings (Cloudflare) or the process environment (Bun, Deno). */
export interface Env {
  SUPEROFFICE_WEBHOOK_SECRET?: string
}

const stats = { sold: 0, saleEvents: 0, events: 0 }
let webhooks: SuperOfficeWebhooks | undefined

function receiver(env: Env): SuperOfficeWebhooks {
  if (webhooks) return webhooks
  webhooks = createSuperOfficeWebhooks({
    // Read per delivery: a worker deployed without its secret answers 500 secret_unavailable
    // (SuperOffice retries it, and it does not count as a refusal), never 401.
    secret: () => {
      if (env.SUPEROFFICE_WEBHOOK_SECRET) return env.SUPEROFFICE_WEBHOOK_SECRET
      throw new Error('edge-example: set SUPEROFFICE_WEBHOOK_SECRET to the secret of your SuperOffice webhook')
    },
  })
  webhooks.on('sale.sold', (event) => {
    stats.sold++
    void event.FieldValues?.amount
  })
  webhooks.on('sale.*', () => void stats.saleEvents++)
  webhooks.onAny((event, { tenant }) => {
    stats.events++
    console.log(`superoffice event=${event.Event} key=${event.PrimaryKey} tenant=${tenant} id=${event.EventId}`)
  })
  return webhooks
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url)
    if (pathname === '/webhooks/superoffice') return receiver(env).handleRequest(request)
    if (pathname === '/healthz') return new Response('ok')
    if (pathname === '/stats') return Response.json({ ...stats, crypto: usesNodeCrypto ? 'node:crypto' : 'WebCrypto' })
    return new Response('not found', { status: 404 })
  },
}
