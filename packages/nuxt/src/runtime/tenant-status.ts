import type { SuperOfficeReceiver } from '@superoffice-webhooks/core'
import { defineSuperOfficeWebhookHandler } from '@superoffice-webhooks/h3'
import receiverExport from '#superoffice-webhooks/tenant-status'

// server/superoffice/tenant-status.ts: its default export is the receiver, or a function returning it.
const receiver = (typeof receiverExport === 'function' ? (receiverExport as () => unknown)() : receiverExport) as
  | SuperOfficeReceiver
  | undefined
if (typeof receiver?.receive !== 'function') {
  throw new TypeError(
    'server/superoffice/tenant-status.ts must export createSuperOfficeTenantStatus(...) from @superoffice-webhooks/api, or a function returning it.',
  )
}

export default defineSuperOfficeWebhookHandler(receiver)
