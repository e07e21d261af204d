import { fileURLToPath } from 'node:url'
import { runExampleAppContract } from '@superoffice-webhooks/test-utils/apps'

// The standalone server `next build` writes (what a Docker image runs), started as the README says.
runExampleAppContract({
  name: 'next-example (Next.js 16 App Router route handlers, standalone build)',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: '.next/standalone/apps/next-example/server.js',
  missingSecretMessage: /set SUPEROFFICE_WEBHOOK_SECRET/,
})
