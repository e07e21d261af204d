import { fileURLToPath } from 'node:url'
import { runExampleAppContract } from '@superoffice-webhooks/test-utils/apps'

runExampleAppContract({
  name: 'express-example',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: 'dist/server.js',
  rawUploads: true,
})

runExampleAppContract({
  name: 'express-example',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: 'dist/server.js',
  inbox: true,
})
