import { describe, expect, it } from 'vitest'
import { defineSuperOfficeEventHandler } from '../src/runtime/define.js'

// The module's build, route and start-up check are tested through apps/nuxt-example, built with
// it (node-server and aws-lambda presets) and started from its output.
describe('handler definitions', () => {
  it('keep their selectors and handler, as the runtime registers them', () => {
    const handler = () => {}
    expect(defineSuperOfficeEventHandler('sale.sold', handler)).toEqual({ selectors: ['sale.sold'], handler })
    expect(defineSuperOfficeEventHandler(['sale.*', 'test'], handler).selectors).toEqual(['sale.*', 'test'])
  })
})
