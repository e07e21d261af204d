import type * as z from 'zod'
import { type CompiledCheck, compileCheck } from './compiled-check.js'
import { SuperOfficeWebhookError } from './errors.js'
import { isRecord, parseBody } from './parse.js'
import type { SuperOfficeAnyEvent, SuperOfficeEvent, SuperOfficeEventKind, SuperOfficeEventName } from './schemas.js'
import { schemaForEvent, superOfficeEventSchemas, superOfficeUnknownEventSchema } from './schemas.js'

/** How one event name is validated: its family, schema and compiled check. */
export interface ValidationPlan {
  name: string
  kind: SuperOfficeEventKind
  schema: z.ZodType
  check: CompiledCheck
}

/** The validate step's verdict on a parsed, verified body. */
export type Validation =
  /** Valid for its schema (`kind`), or tolerated (`kind: 'unknown'`, with the `mismatch` to report). */
  | { event: SuperOfficeAnyEvent; name: string; kind: SuperOfficeEventKind; mismatch?: SuperOfficeWebhookError }
  /** Tolerated, but with no event name there is nothing to deliver. */
  | { event?: undefined; mismatch: SuperOfficeWebhookError }
  /** Refused (strict mode). */
  | SuperOfficeWebhookError

/**
 * Whether a value is the documented event `name`, valid for its schema (a tolerated mismatch is
 * delivered with the same `Event` but is not). Narrows the type. It checks the value itself with
 * the compiled schema check (a fraction of a microsecond), so it works on events from the
 * pipeline, from a queue or from anywhere else, and costs the pipeline nothing when unused.
 *
 * @example
 * ```ts
 * webhooks.on('sale.*', (event) => {
 *   if (isSuperOfficeEvent(event, 'sale.sold')) event.FieldValues?.currency_id // number | undefined
 * })
 * ```
 */
export function isSuperOfficeEvent<N extends SuperOfficeEventName>(
  event: unknown,
  name: N,
): event is SuperOfficeEvent<N> {
  if (!isRecord(event) || event.Event !== name || !Object.hasOwn(superOfficeEventSchemas, name)) return false
  return checkFor(superOfficeEventSchemas[name] as unknown as z.ZodType)(event)
}

const compiled = new WeakMap<z.ZodType, CompiledCheck>()
function checkFor(schema: z.ZodType): CompiledCheck {
  let check = compiled.get(schema)
  if (!check) {
    const fast = compileCheck(schema)
    check = fast ?? ((value) => schema.safeParse(value).success)
    compiled.set(schema, check)
  }
  return check
}

/** Most event names whose plans are kept; the least recently used one goes first. */
export const PLAN_CACHE_LIMIT = 512

/**
 * The validate step: a plan per event name, kept in a bounded cache (event names come from signed
 * but otherwise arbitrary bodies, so the cache must not grow with them), and the verdict on a body.
 */
export function createValidator(strict: boolean) {
  const plans = new Map<string, ValidationPlan>()
  const strictSchemas = new WeakMap<z.ZodType, z.ZodType>()

  const planFor = (name: string): ValidationPlan => {
    let plan = plans.get(name)
    if (plan) return plan
    const { kind, schema } = schemaForEvent(name)
    let planSchema = schema
    if (strict && kind === 'known') {
      planSchema = strictSchemas.get(schema) ?? (schema as unknown as z.ZodObject).strict()
      strictSchemas.set(schema, planSchema)
    }
    plan = { name, kind, schema: planSchema, check: checkFor(planSchema) }
    if (plans.size >= PLAN_CACHE_LIMIT) plans.delete(plans.keys().next().value as string)
    plans.set(name, plan)
    return plan
  }

  const validate = (parsed: unknown): Validation => {
    const name = isRecord(parsed) ? parsed.Event : undefined
    if (typeof name !== 'string' || name.length === 0) {
      const error = new SuperOfficeWebhookError('invalid_envelope', 'The body is not a SuperOffice webhook envelope.', {
        cause: new SchemaIssue(explain(isRecord(parsed) ? ['Event'] : [], 'an object with an Event name')),
      })
      if (strict) return error
      return { mismatch: new SuperOfficeWebhookError('schema_mismatch', error.message, { cause: error.cause }) }
    }
    const plan = planFor(name)
    const event = parsed as SuperOfficeAnyEvent
    if (plan.check(parsed)) {
      if (strict && plan.kind === 'unknown') return unknownEvent()
      return { event, name, kind: plan.kind }
    }
    if (strict) {
      // The envelope first (the four fields every body has), then the event's own schema.
      if (!envelopeCheck(parsed)) {
        return new SuperOfficeWebhookError('invalid_envelope', 'The body is not a SuperOffice webhook envelope.', {
          cause: new SchemaIssue(firstIssue(superOfficeUnknownEventSchema, parsed)),
        })
      }
      if (plan.kind === 'unknown') return unknownEvent()
      return new SuperOfficeWebhookError('schema_mismatch', `The body does not match the schema of ${name}.`, {
        cause: new SchemaIssue(firstIssue(plan.schema, parsed)),
      })
    }
    const cause = new SchemaIssue(firstIssue(plan.schema, parsed))
    // Tolerant: the signature matched, so the body is SuperOffice's whatever its shape. It goes to
    // wildcards and catch-alls as an unknown event, never to the handlers typed for the documented
    // shape, and never as a 400 that counts towards the nine failures that disable the webhook.
    const mismatch = new SuperOfficeWebhookError('schema_mismatch', `The body does not match the schema of ${name}.`, {
      cause,
    })
    return { event, name, kind: 'unknown', mismatch }
  }

  return {
    validate,
    planFor,
    get size() {
      return plans.size
    },
  }
}

/**
 * Where a body first departs from its schema: a path and what was expected there. One walk that
 * stops at the first failure, so a signed body with 60,000 odd `FieldValues` costs a scan, not
 * 60,000 zod issues.
 */
export class SchemaIssue extends Error {
  override readonly name = 'SchemaIssue'
  constructor(readonly issue: { path: (string | number)[]; expected: string }) {
    super(`${issue.path.length ? issue.path.join('.') : '(body)'}: expected ${issue.expected}`)
  }
}

function explain(path: (string | number)[], expected: string) {
  return { path, expected }
}

interface Def {
  type: string
  shape?: Record<string, z.ZodType>
  catchall?: z.ZodType
  innerType?: z.ZodType
  element?: z.ZodType
  valueType?: z.ZodType
  options?: z.ZodType[]
  values?: unknown[]
}
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def

/** The first failing path of `value` against `schema`, as far as the walk understands the schema. */
function firstIssue(schema: z.ZodType, value: unknown): { path: (string | number)[]; expected: string } {
  const path: (string | number)[] = []
  const walk = (s: z.ZodType, v: unknown): string | undefined => {
    const def = defOf(s)
    switch (def.type) {
      case 'optional':
        return v === undefined ? undefined : walk(def.innerType as z.ZodType, v)
      case 'object': {
        if (!isRecord(v)) return 'an object'
        for (const [key, field] of Object.entries(def.shape ?? {})) {
          path.push(key)
          const failed = walk(field, v[key])
          if (failed) return failed
          path.pop()
        }
        if (def.catchall && defOf(def.catchall).type === 'never') {
          for (const key in v) {
            if (!Object.hasOwn(def.shape ?? {}, key)) {
              path.push(key)
              return 'no such key (strict mode)'
            }
          }
        }
        return undefined
      }
      case 'record': {
        if (!isRecord(v)) return 'an object'
        for (const key in v) {
          path.push(key)
          const failed = walk(def.valueType as z.ZodType, v[key])
          if (failed) return failed
          path.pop()
        }
        return undefined
      }
      case 'array': {
        if (!Array.isArray(v)) return 'an array'
        for (let i = 0; i < v.length; i++) {
          path.push(i)
          const failed = walk(def.element as z.ZodType, v[i])
          if (failed) return failed
          path.pop()
        }
        return undefined
      }
      default:
        return checkFor(s)(v) ? undefined : describe(def)
    }
  }
  return { path, expected: walk(schema, value) ?? 'a valid body' }
}

function describe(def: Def): string {
  switch (def.type) {
    case 'literal':
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(' or ')
    case 'union':
      return (def.options ?? []).map((o) => describe(defOf(o))).join(' or ')
    case 'template_literal':
      return 'a string of the documented pattern'
    default:
      return `a ${def.type}`
  }
}

const envelopeCheck = (value: unknown) => checkFor(superOfficeUnknownEventSchema)(value)
const unknownEvent = () =>
  new SuperOfficeWebhookError('unknown_event', 'The event is not a documented SuperOffice event.')

const tolerantValidator = createValidator(false)
const strictValidator = createValidator(true)

/**
 * What {@link parseSuperOfficeEvent} found: the event (typed, and marked so that
 * `isSuperOfficeEvent` narrows it), or why it is refused.
 */
export type SuperOfficeParseResult =
  | {
      success: true
      /** The event; `undefined` only for a tolerated body with no `Event` name (nothing to route). */
      event: SuperOfficeAnyEvent | undefined
      kind: SuperOfficeEventKind
      /** Set when the body was tolerated although it does not match its schema. */
      mismatch?: SuperOfficeWebhookError
    }
  | { success: false; error: SuperOfficeWebhookError }

/**
 * Parses and validates a body outside the pipeline, e.g. a queued event in a worker: JSON text,
 * bytes or an already parsed value in, the typed event out (`isSuperOfficeEvent` narrows it). Tolerant by default, like the
 * pipeline; `{ strict: true }` refuses what strict mode refuses. No signature is checked here.
 *
 * @example
 * ```ts
 * const result = parseSuperOfficeEvent(job.data.body)
 * if (result.success && isSuperOfficeEvent(result.event, 'sale.sold')) result.event.FieldValues?.currency_id
 * ```
 */
export function parseSuperOfficeEvent(data: unknown, options: { strict?: boolean } = {}): SuperOfficeParseResult {
  let value = data
  if (typeof data === 'string' || data instanceof Uint8Array) {
    value = parseBody(data)
    if (value instanceof SuperOfficeWebhookError) return { success: false, error: value }
  }
  const verdict = (options.strict ? strictValidator : tolerantValidator).validate(value)
  if (verdict instanceof SuperOfficeWebhookError) return { success: false, error: verdict }
  if (verdict.event === undefined)
    return { success: true, event: undefined, kind: 'unknown', mismatch: verdict.mismatch }
  return verdict.mismatch
    ? { success: true, event: verdict.event, kind: verdict.kind, mismatch: verdict.mismatch }
    : { success: true, event: verdict.event, kind: verdict.kind }
}

/**
 * Any SuperOffice webhook body as a Standard Schema (https://standardschema.dev) validator, for
 * libraries that take one (h3 v2's `readValidatedBody`, Hono's validator, tRPC): the documented
 * event's schema by its `Event` name, tolerant of fields SuperOffice adds, with an issue for a
 * documented field of the wrong type; an event name it does not know passes with the envelope's
 * four fields. It validates a parsed body
 * only; a signature must still be checked on the raw bytes first. Every zod schema of this package
 * (`superOfficeEventSchemas['sale.sold']`…) is a Standard Schema too.
 *
 * @example
 * ```ts
 * const result = await superOfficeEventStandardSchema['~standard'].validate(body)
 * if (!result.issues) console.log(result.value.Event)
 * ```
 */
export const superOfficeEventStandardSchema: {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: 'superoffice-webhooks'
    validate(
      value: unknown,
    ):
      | { value: SuperOfficeAnyEvent; issues?: undefined }
      | { issues: readonly { message: string; path?: readonly PropertyKey[] }[] }
    readonly types?: { readonly input: unknown; readonly output: SuperOfficeAnyEvent }
  }
} = {
  '~standard': {
    version: 1,
    vendor: 'superoffice-webhooks',
    validate(value) {
      const result = parseSuperOfficeEvent(value)
      if (!result.success) return { issues: [{ message: result.error.message }] }
      if (result.event === undefined) return { issues: [{ message: 'The body has no Event name.', path: ['Event'] }] }
      // The receiver tolerates a signed body that does not match its event's schema (a 400 would
      // count towards disabling the webhook); a validator says so instead.
      const mismatch = result.mismatch
      if (mismatch) {
        const issue = mismatch.cause instanceof SchemaIssue ? mismatch.cause : undefined
        return {
          issues: [
            issue
              ? { message: `${mismatch.message} ${issue.message}`, path: issue.issue.path }
              : { message: mismatch.message },
          ],
        }
      }
      return { value: result.event }
    },
  },
}
