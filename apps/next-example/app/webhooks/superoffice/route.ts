// POST /webhooks/superoffice: the App Router hands the web Request over as it came, bytes
// untouched, so the signature is checked on what SuperOffice signed.
import { superOffice } from '../../../lib/superoffice'

// Node's runtime (node:crypto, the API client); never cached or prerendered.
export const runtime = 'nodejs'
export const dynamic = 'force-dynamic'

const receive = (request: Request) => superOffice().webhooks.handleRequest(request)

// Every method: the receiver answers anything but POST with 405 and `Allow: POST`.
export { receive as DELETE, receive as GET, receive as PATCH, receive as POST, receive as PUT }
