import { fileURLToPath } from 'node:url'
import { runExampleAppContract } from '@superoffice-webhooks/test-utils/apps'

runExampleAppContract({
  name: 'nitro-example (Nitro 3, h3 v2)',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: '.output/server/index.mjs',
  missingSecretMessage: /set SUPEROFFICE_WEBHOOK_SECRET \(or NITRO_SUPEROFFICE_WEBHOOK_SECRET\)/,
})
