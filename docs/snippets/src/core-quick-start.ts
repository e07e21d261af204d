// Stand-ins for the app's own code, outside the part the README shows.
declare function markWon(saleId: number, tenant: string): Promise<void>
declare function syncContact(contactId: number): void
declare const rawBody: Uint8Array
declare const headers: Record<string, string>

// #region readme
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'

const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET! })

webhooks.on('sale.sold', async (event) => {
  // event is SuperOfficeEvent<'sale.sold'>: PrimaryKey, ContextIdentifier, FieldValues?.currency_id…
  await markWon(event.PrimaryKey, event.ContextIdentifier)
})
webhooks.on(['contact.created', 'contact.changed'], (event) => syncContact(event.PrimaryKey))
webhooks.on('sale.*', (event) => console.log('sale event', event.Event)) // local wildcard
webhooks.onAny((event) => console.log(event.Event)) // everything but `test`
webhooks.onError((error) => console.warn(error.code, error.cause))

// Web-standard runtimes (Bun, Deno, Workers, Next route handlers): Request in, Response out.
export const POST = (request: Request) => webhooks.handleRequest(request)

// Any other framework: raw bytes and headers in, answer out.
const { status, body } = await webhooks.handle({ rawBody, headers })

// #endregion readme
export { body, status }
