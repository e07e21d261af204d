// Writes packages/core/schemas/ from core's zod schemas (the built package): a JSON Schema per
// documented event, one for any SuperOffice webhook body, and an OpenAPI 3.1 document with a
// `webhooks` entry per event, for teams outside TypeScript (.NET, Python, OpenAPI tooling).
// `--check` fails when the committed files differ from a fresh generation (CI).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  superOfficeEventNames,
  superOfficeEventSchemas,
  superOfficeExtraTableEventSchema,
  superOfficeListEventSchema,
  superOfficeUnknownEventSchema,
} from '@superoffice-webhooks/core'
import * as z from 'zod'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dir = join(root, 'packages', 'core', 'schemas')
const check = process.argv.includes('--check')
const ID = 'https://github.com/superoffice-webhooks/superoffice-webhooks/schemas'

const jsonSchema = (schema, id, title) => ({
  $id: `${ID}/${id}`,
  title,
  ...z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }),
})

const files = new Map()
for (const name of superOfficeEventNames) {
  files.set(`${name}.json`, jsonSchema(superOfficeEventSchemas[name], `${name}.json`, `SuperOffice webhook: ${name}`))
}
files.set(
  'superoffice-webhook.json',
  jsonSchema(
    z.union([superOfficeListEventSchema, superOfficeExtraTableEventSchema, superOfficeUnknownEventSchema]),
    'superoffice-webhook.json',
    'Any SuperOffice webhook body (documented, list, extra-table or custom event)',
  ),
)
const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'SuperOffice CRM webhooks',
    version: JSON.parse(readFileSync(join(root, 'packages', 'core', 'package.json'), 'utf8')).version,
    description:
      'What SuperOffice posts to a webhook target, one entry per documented event. Each request carries X-SuperOffice-Signature (base64 HMAC-SHA256 of the body with the webhook secret); answer 200 once handled.',
  },
  webhooks: Object.fromEntries(
    superOfficeEventNames.map((name) => [
      name,
      {
        post: {
          operationId: `on_${name.replace(/\./g, '_')}`,
          parameters: [
            { name: 'X-SuperOffice-Signature', in: 'header', required: false, schema: { type: 'string' } },
            { name: 'X-SuperOffice-Event', in: 'header', required: false, schema: { type: 'string', const: name } },
            { name: 'X-SuperOffice-EventId', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: `./${name}.json` } } } },
          responses: { 200: { description: 'Handled (or a duplicate, or the test event).' } },
        },
      },
    ]),
  ),
}
files.set('openapi.json', openapi)

const text = (value) => `${JSON.stringify(value, null, 2)}\n`
if (check) {
  const committed = new Set(readdirSync(dir))
  const problems = []
  for (const [file, value] of files) {
    if (!committed.has(file)) problems.push(`${file} is missing`)
    else if (readFileSync(join(dir, file), 'utf8') !== text(value)) problems.push(`${file} differs`)
    committed.delete(file)
  }
  for (const extra of committed) problems.push(`${extra} is not generated any more`)
  if (problems.length > 0) {
    console.error(`packages/core/schemas is out of date (node scripts/schemas.mjs): ${problems.join('; ')}`)
    process.exit(1)
  }
  console.log(`packages/core/schemas: ${files.size} files match core's zod schemas`)
} else {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const [file, value] of files) writeFileSync(join(dir, file), text(value))
  console.log(`wrote ${files.size} files to packages/core/schemas`)
}
