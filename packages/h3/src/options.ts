import {
  createSuperOfficeWebhooks,
  type SuperOfficeEventHandler,
  type SuperOfficeReceiver,
  type SuperOfficeWebhooks,
} from '@superoffice-webhooks/core'
import type { SuperOfficeH3Options } from './types.js'

/** The receiver a handler answers with: the one given, or one built from options and handlers. */
export function receiverFrom(
  optionsOrWebhooks: SuperOfficeH3Options<string> | SuperOfficeReceiver,
): SuperOfficeReceiver {
  return isReceiver(optionsOrWebhooks) ? optionsOrWebhooks : fromOptions(optionsOrWebhooks)
}

function fromOptions(options: SuperOfficeH3Options<string>): SuperOfficeWebhooks {
  const { on, onAny, onError, ...rest } = options
  const webhooks = createSuperOfficeWebhooks(rest)
  for (const [selector, handler] of Object.entries<SuperOfficeEventHandler<string>>(on ?? {})) {
    webhooks.on(selector, handler)
  }
  if (onAny) webhooks.onAny(onAny)
  if (onError) webhooks.onError(onError)
  return webhooks
}

function isReceiver(value: SuperOfficeH3Options<string> | SuperOfficeReceiver): value is SuperOfficeReceiver {
  return typeof (value as SuperOfficeReceiver).receive === 'function'
}
