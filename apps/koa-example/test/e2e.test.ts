import { fileURLToPath } from 'node:url'
import { runExampleAppContract } from '@superoffice-webhooks/test-utils/apps'

runExampleAppContract({
  name: 'koa-example',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: 'dist/server.js',
})

runExampleAppContract({
  name: 'koa-example',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: 'dist/server.js',
  inbox: true,
})
