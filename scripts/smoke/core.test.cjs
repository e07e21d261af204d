const assert = require('node:assert/strict')
const { test } = require('node:test')
const { createSuperOfficeWebhooks, verifySignatureSync, signPayload } = require('@superoffice-webhooks/core')

test(`core (CommonJS) loads and verifies on Node ${process.versions.node}`, () => {
  assert.equal(typeof createSuperOfficeWebhooks, 'function')
  assert.deepEqual(verifySignatureSync('{}', signPayload('{}', 'k'), ['x', 'k']), { valid: true, matched: 1 })
})
