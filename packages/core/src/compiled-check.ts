import type * as z from 'zod'

/** A yes/no answer to "would `schema.safeParse(value)` succeed?", without building a copy. */
export type CompiledCheck = (value: unknown) => boolean

interface Def {
  type: string
  checks?: { _zod: { def: { check: string; minimum?: number } } }[]
  shape?: Record<string, z.ZodType>
  catchall?: z.ZodType
  innerType?: z.ZodType
  element?: z.ZodType
  keyType?: z.ZodType
  valueType?: z.ZodType
  options?: z.ZodType[]
  values?: unknown[]
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def; pattern?: RegExp } })._zod

/**
 * Compiles a zod schema into a plain predicate, for the subset of zod the event schemas use
 * (objects loose or strict, strings with a minimum length, numbers, booleans, literals, optionals,
 * unions, arrays, records, template literals). Returns `undefined` for anything else, and the
 * pipeline then uses zod itself.
 *
 * Why: on a valid body zod's loose objects copy every key into a new object, which is most of the
 * validation cost. A JSON.parse result that passes this check is exactly what zod would return, so
 * the pipeline hands it on as is.
 *
 * Two forms, both measured (BENCHMARKS.md): one generated function (as zod's own JIT does) where
 * the runtime allows `new Function`, about 4% of the whole pipeline faster; and closures where it
 * does not (a CSP, Cloudflare Workers), which the tests run as well.
 */
export function compileCheck(schema: z.ZodType, options: { codegen?: boolean } = {}): CompiledCheck | undefined {
  if (options.codegen !== false && codegenAvailable()) {
    const generated = generate(schema)
    if (generated) return generated
  }
  return compose(schema)
}

function compose(schema: z.ZodType): CompiledCheck | undefined {
  const compileCheck = compose
  const { def, pattern } = defOf(schema)
  switch (def.type) {
    case 'unknown':
    case 'any':
      return () => true
    case 'never':
      return () => false
    case 'boolean':
      return (v) => typeof v === 'boolean'
    case 'number':
      if (def.checks?.length) return undefined
      return (v) => typeof v === 'number' && Number.isFinite(v)
    case 'string': {
      const checks = def.checks ?? []
      if (checks.length === 0) return (v) => typeof v === 'string'
      const [only] = checks
      if (checks.length === 1 && only?._zod.def.check === 'min_length') {
        const minimum = only._zod.def.minimum ?? 0
        return (v) => typeof v === 'string' && v.length >= minimum
      }
      return undefined
    }
    case 'literal': {
      const values = def.values ?? []
      return values.length === 1 ? (v) => v === values[0] : (v) => values.includes(v)
    }
    case 'template_literal': {
      if (!pattern) return undefined
      return (v) => typeof v === 'string' && pattern.test(v)
    }
    case 'optional': {
      const inner = def.innerType && compileCheck(def.innerType)
      return inner && ((v) => v === undefined || inner(v))
    }
    case 'union': {
      const options = (def.options ?? []).map(compileCheck)
      if (options.some((o) => !o)) return undefined
      const checks = options as CompiledCheck[]
      if (checks.length === 2) {
        const [a, b] = checks as [CompiledCheck, CompiledCheck]
        return (v) => a(v) || b(v)
      }
      return (v) => {
        for (let i = 0; i < checks.length; i++) if ((checks[i] as CompiledCheck)(v)) return true
        return false
      }
    }
    case 'array': {
      const element = def.element && compileCheck(def.element)
      if (!element) return undefined
      return (v) => {
        if (!Array.isArray(v)) return false
        for (let i = 0; i < v.length; i++) if (!element(v[i])) return false
        return true
      }
    }
    case 'record': {
      const key = def.keyType && defOf(def.keyType).def
      const value = def.valueType && compileCheck(def.valueType)
      if (!value || key?.type !== 'string' || key.checks?.length) return undefined
      return (v) => {
        if (!isPlainObject(v)) return false
        for (const k in v) if (!value(v[k])) return false
        return true
      }
    }
    case 'object': {
      const catchall = def.catchall && defOf(def.catchall).def.type
      if (catchall !== undefined && catchall !== 'unknown' && catchall !== 'never') return undefined
      // Parallel arrays and a plain loop: this runs for every field of every body.
      const keys: string[] = []
      const checks: CompiledCheck[] = []
      for (const [key, field] of Object.entries(def.shape ?? {})) {
        const check = compileCheck(field)
        if (!check) return undefined
        keys.push(key)
        checks.push(check)
      }
      const count = keys.length
      if (catchall === 'never') {
        const known = new Set(keys)
        return (v) => {
          if (!isPlainObject(v)) return false
          for (let i = 0; i < count; i++) if (!(checks[i] as CompiledCheck)(v[keys[i] as string])) return false
          for (const k in v) if (!known.has(k)) return false
          return true
        }
      }
      return (v) => {
        if (!isPlainObject(v)) return false
        for (let i = 0; i < count; i++) if (!(checks[i] as CompiledCheck)(v[keys[i] as string])) return false
        return true
      }
    }
    default:
      return undefined
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

let canEval: boolean | undefined
function codegenAvailable(): boolean {
  if (canEval === undefined) {
    try {
      canEval = new Function('return true')() === true
    } catch {
      canEval = false
    }
  }
  return canEval
}

/** Source of one generated checker: helper functions, regexes and literal sets it refers to. */
interface GenContext {
  fns: string[]
  refs: unknown[]
}

function generate(schema: z.ZodType): CompiledCheck | undefined {
  const ctx: GenContext = { fns: [], refs: [] }
  const expr = gen(schema, 'v', ctx)
  if (!expr) return undefined
  const source = `${ctx.fns.join('\n')}\nreturn function check(v) { return ${expr} }`
  try {
    return new Function('refs', source)(ctx.refs) as CompiledCheck
  } catch {
    return undefined
  }
}

/** A boolean JS expression testing `x` against `schema`, or undefined when unsupported. */
function gen(schema: z.ZodType, x: string, ctx: GenContext): string | undefined {
  const { def, pattern } = defOf(schema)
  const ref = (value: unknown) => `refs[${ctx.refs.push(value) - 1}]`
  const fn = (body: string) => {
    const name = `f${ctx.fns.length}`
    ctx.fns.push(`function ${name}(v) { ${body} }`)
    return name
  }
  switch (def.type) {
    case 'unknown':
    case 'any':
      return 'true'
    case 'never':
      return 'false'
    case 'boolean':
      return `(typeof ${x} === "boolean")`
    case 'number':
      return def.checks?.length ? undefined : `(typeof ${x} === "number" && Number.isFinite(${x}))`
    case 'string': {
      const checks = def.checks ?? []
      if (checks.length === 0) return `(typeof ${x} === "string")`
      const [only] = checks
      if (checks.length !== 1 || only?._zod.def.check !== 'min_length') return undefined
      return `(typeof ${x} === "string" && ${x}.length >= ${Number(only._zod.def.minimum ?? 0)})`
    }
    case 'literal': {
      const values = def.values ?? []
      if (!values.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
        return `${ref(values)}.includes(${x})`
      }
      return `(${values.map((v) => `${x} === ${JSON.stringify(v)}`).join(' || ') || 'false'})`
    }
    case 'template_literal':
      return pattern ? `(typeof ${x} === "string" && ${ref(pattern)}.test(${x}))` : undefined
    case 'optional': {
      const inner = def.innerType && gen(def.innerType, x, ctx)
      return inner && `(${x} === undefined || ${inner})`
    }
    case 'union': {
      const options = (def.options ?? []).map((o) => gen(o, x, ctx))
      if (options.length === 0 || options.some((o) => !o)) return undefined
      return `(${options.join(' || ')})`
    }
    case 'array': {
      const element = def.element && gen(def.element, 'e', ctx)
      if (!element) return undefined
      const name = fn(
        `if (!Array.isArray(v)) return false; for (let i = 0; i < v.length; i++) { const e = v[i]; if (!${element}) return false } return true`,
      )
      return `${name}(${x})`
    }
    case 'record': {
      const key = def.keyType && defOf(def.keyType).def
      const value = def.valueType && gen(def.valueType, 'e', ctx)
      if (!value || key?.type !== 'string' || key.checks?.length) return undefined
      const name = fn(
        `if (typeof v !== "object" || v === null || Array.isArray(v)) return false; for (const k in v) { const e = v[k]; if (!${value}) return false } return true`,
      )
      return `${name}(${x})`
    }
    case 'object': {
      const catchall = def.catchall && defOf(def.catchall).def.type
      if (catchall !== undefined && catchall !== 'unknown' && catchall !== 'never') return undefined
      const lines = ['if (typeof v !== "object" || v === null || Array.isArray(v)) return false', 'let e']
      const keys = Object.keys(def.shape ?? {})
      for (const key of keys) {
        const check = gen((def.shape as Record<string, z.ZodType>)[key] as z.ZodType, 'e', ctx)
        if (!check) return undefined
        lines.push(`e = v[${JSON.stringify(key)}]; if (!${check}) return false`)
      }
      if (catchall === 'never')
        lines.push(`const known = ${ref(new Set(keys))}; for (const k in v) if (!known.has(k)) return false`)
      lines.push('return true')
      return `${fn(lines.join('\n'))}(${x})`
    }
    default:
      return undefined
  }
}
