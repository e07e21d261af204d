import { defineSuperOfficeWebhookHandler } from '@superoffice-webhooks/h3'
import { useSuperOfficeWebhooks } from './webhooks.js'

// The route the module registers for every method: core answers anything but POST with 405.
export default defineSuperOfficeWebhookHandler(useSuperOfficeWebhooks())
