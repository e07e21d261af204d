import { fileURLToPath } from 'node:url'
import { runExampleAppContract } from '@superoffice-webhooks/adapter-contract'

runExampleAppContract({
  name: 'nestjs-example (Nest 11, CommonJS build with decorator metadata)',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: 'dist/main.js',
  // The start-up log of which handler serves which event.
  startupLines: [
    /sale\.sold -> SalesService\.onSold\(\)/,
    /sale\.\* -> SalesService\.onSaleEvent\(\)/,
    /\* -> EventLogService\.log\(\)/,
  ],
})

runExampleAppContract({
  name: 'nestjs-example',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: 'dist/main.js',
  startupLines: [/inbox worker started/],
  inbox: true,
})
