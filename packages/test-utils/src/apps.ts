/**
 * `@superoffice-webhooks/test-utils/apps`: starting the example apps as processes and the contract
 * they all meet (one line per event, the answer contract over their own HTTP server, runtimes that
 * hand over a web Request). Only the apps' own tests and `e2e/` use it; a library's tests never do.
 */
export { EVENT_LINE, type ExampleApp, startExampleApp } from './example-app.js'
export { runExampleAppContract } from './example-suite.js'
export { runFetchRuntimeContract } from './runtimes.js'
