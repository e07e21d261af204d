const assert = require('node:assert/strict')
const { test } = require('node:test')
const { createSuperOfficeWebhooks, verifySignatureSync, signPayload } = require('@superoffice-webhooks/core')

test(`core (CommonJS) loads and verifies on Node ${process.versions.node}`, () => {
  assert.equal(typeof createSuperOfficeWebhooks, 'function')
  assert.deepEqual(verifySignatureSync('{}', signPayload('{}', 'k'), ['x', 'k']), { valid: true, matched: 1 })
})

test('core/adapter (CommonJS) shares its classes with core: one copy of each module', () => {
  const { isSuperOfficeWebhookError, SuperOfficeWebhookError } = require('@superoffice-webhooks/core')
  const { methodNotAllowed, readRawBody } = require('@superoffice-webhooks/core/adapter')
  const refusal = methodNotAllowed()
  assert.ok(refusal instanceof SuperOfficeWebhookError)
  assert.ok(isSuperOfficeWebhookError(refusal))
  assert.equal(typeof readRawBody, 'function')
})
