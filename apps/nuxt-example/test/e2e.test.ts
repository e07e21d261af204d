import { fileURLToPath } from 'node:url'
import { runExampleAppContract } from '@superoffice-webhooks/test-utils/apps'

runExampleAppContract({
  name: 'nuxt-example (Nuxt 4, Nitro 2, h3 v1)',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: '.output/server/index.mjs',
  missingSecretMessage: /set NUXT_SUPEROFFICE_WEBHOOKS_SECRET/,
})

runExampleAppContract({
  name: 'nuxt-example with its BullMQ inbox file',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: '.output/server/index.mjs',
  inbox: true,
  // server/routes/admin/inbox/[...path].ts: bull-board over useSuperOfficeInbox().
  boardPath: '/admin/inbox',
})
