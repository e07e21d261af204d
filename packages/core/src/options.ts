import type { SuperOfficeDedupeStore } from './dedupe.js'
import type { SuperOfficeInbox } from './inbox.js'
import type { SuperOfficeAnyEvent } from './schemas.js'
import type { SuperOfficeSecrets } from './signature.js'
import type { SuperOfficeEntityFetcher } from './types.js'

/**
 * What a secret resolver is told before the signature is checked. Untrusted until it matches.
 *
 * @example
 * ```ts
 * const resolver: SuperOfficeSecretResolver = (hint) => secretsByTenant.get(hint.tenant ?? '')
 * ```
 */
export interface SuperOfficeSecretHint {
  /**
   * The body's top-level `ContextIdentifier` (tenant, `Cust12345`). Read from the raw bytes only
   * when the resolver asks for it, with a bounded scan: an unauthenticated body is never parsed.
   */
  readonly tenant: string | undefined
  /**
   * The request URL, when the adapter knows it: path and query on Node adapters (Koa, h3 v1, Nest:
   * `/webhooks/superoffice?tenant=a`), the absolute URL where a web `Request` is read (h3 v2,
   * `handleRequest`).
   */
  readonly url: string | undefined
  /** Reads a request header, case-insensitively. */
  header(name: string): string | undefined
  /** The framework's own request object (`H3Event`, Koa `Context`, Nest request), when an adapter passes it. */
  readonly request?: unknown
}

/**
 * Picks the secret(s) for a request in a multi-tenant app. Return `undefined` for an unknown
 * tenant: the request is refused with the same 401 as a wrong signature.
 *
 * @example
 * ```ts
 * createSuperOfficeWebhooks({ secret: ({ tenant }) => (tenant ? secrets.get(tenant) : undefined) })
 * ```
 */
export type SuperOfficeSecretResolver = (
  hint: SuperOfficeSecretHint,
) => SuperOfficeSecrets | undefined | null | Promise<SuperOfficeSecrets | undefined | null>

/** How much the pipeline logs: each level includes the ones after it. */
export type SuperOfficeLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/**
 * Where the pipeline writes its log lines. `console` fits; so do pino and winston loggers.
 *
 * @example
 * ```ts
 * createSuperOfficeWebhooks({ secret, logger: pino(), logLevel: 'info' })
 * ```
 */
export interface SuperOfficeLogger {
  debug?(message: string, ...details: unknown[]): void
  info?(message: string, ...details: unknown[]): void
  warn(message: string, ...details: unknown[]): void
  error(message: string, ...details: unknown[]): void
}

/** Options of the duplicate check. */
export interface SuperOfficeDedupeOptions {
  /** The store; default an in-memory store of 100,000 keys. */
  store?: SuperOfficeDedupeStore
  /** How long a handled EventId is remembered. Default 24 hours. */
  ttlSeconds?: number
  /** How long a claim holds while handlers run, so a crash mid-way does not block retries forever. Default 5 minutes. */
  claimTtlSeconds?: number
  /**
   * When the store fails (Redis unreachable): `'refuse'` answers 500 so SuperOffice retries later
   * (default); `'accept'` handles the event without a duplicate check. Either way it is logged.
   */
  onStoreError?: 'refuse' | 'accept'
}

/**
 * Options of {@link createSuperOfficeWebhooks}.
 *
 * @example
 * ```ts
 * const options: SuperOfficeWebhooksOptions = { secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!, logLevel: 'info' }
 * ```
 */
export interface SuperOfficeWebhooksOptions {
  /**
   * The webhook's secret, several during a rotation (the result tells which matched), or a
   * resolver for multi-tenant apps. Required unless `allowUnsigned` is set.
   */
  secret?: SuperOfficeSecrets | SuperOfficeSecretResolver
  /** Accept unsigned requests when no secret is configured. Off by default: fail closed. */
  allowUnsigned?: boolean
  /** Largest body accepted (413 above it). Default 1 MiB. */
  maxBodyBytes?: number
  /**
   * Strict mode: a body that is not a documented envelope, unknown keys in documented events,
   * unknown event names and a header/body EventId mismatch are refused with 400. Off by default:
   * once the signature matches the body is SuperOffice's, and a 400 counts towards the nine
   * failures that disable the webhook.
   */
  strict?: boolean
  /**
   * Refuse (401 `timestamp_out_of_range`) events whose signed `Timestamp` is missing, older than
   * this many seconds, or more than 5 minutes in the future. Off by default: SuperOffice's retry
   * queue can deliver late, and each refusal counts towards the nine failures.
   */
  maxEventAgeSeconds?: number
  /**
   * Echo suppression for integrations that write back to SuperOffice: every write triggers a
   * webhook of its own, so a two-way sync would loop. Events whose `ChangedByAssociateId` is one of
   * these ids (the integration's own associates), or for which the function returns true, are
   * answered 200 `{ ok: true, ignored: true }` (outcome `ignored`, logged at debug) and no handler
   * runs, with or without an inbox. Associate ids are per tenant: a list applies to every tenant,
   * a map (`{ Cust123: [7], Cust456: [12] }`) to each tenant's own events only.
   */
  ignoreChangesBy?:
    | readonly number[]
    | Readonly<Record<string, readonly number[]>>
    | ((event: SuperOfficeAnyEvent) => boolean)
  /** Duplicate check on `EventId`, per tenant. On by default with an in-memory store. */
  dedupe?: false | SuperOfficeDedupeOptions
  /**
   * When to answer. `'after-handlers'` (default): 200 once every handler succeeded, 500 if one
   * failed, so SuperOffice retries. `'after-claim'`: 200 as soon as the event is verified and
   * claimed; handlers run after and failures go to `onError` only (SuperOffice will not retry).
   */
  respond?: 'after-handlers' | 'after-claim'
  /**
   * A durable inbox (`createBullMQInbox` from `@superoffice-webhooks/bullmq`): verified events are
   * stored there and answered 200 once stored (500 `inbox_unavailable` when it is unreachable);
   * handlers run in workers (`inbox.work(webhooks)`), with retries for as long as it takes. The
   * inbox drops redeliveries by job id, so `dedupe` is not used with it.
   */
  inbox?: SuperOfficeInbox
  /**
   * A SuperOffice API client (`createSuperOfficeApi` from `@superoffice-webhooks/api`): handlers
   * then get `context.fetchEntity()`, the entity behind their event (`null` when it was deleted).
   */
  api?: SuperOfficeEntityFetcher
  /** Where log lines go. Default `console`; `false` silences the pipeline. */
  logger?: SuperOfficeLogger | false
  /**
   * The lowest level logged. Default `'warn'`: handler and store failures (error), tolerated
   * mismatches and refused requests (warn); `'debug'` adds dropped connections. Repeated lines
   * are rate-limited: at most 10 a minute per error code (and failing handler).
   */
  logLevel?: SuperOfficeLogLevel
}
