export {
  createMemoryDedupeStore,
  type MemoryDedupeStore,
  type MemoryDedupeStoreOptions,
  type SuperOfficeDedupeStore,
} from './dedupe.js'
export {
  isSuperOfficeWebhookError,
  SuperOfficeWebhookError,
  type SuperOfficeWebhookErrorCode,
  type SuperOfficeWebhookErrorStatus,
} from './errors.js'
export type { HeadersLike } from './headers.js'
export type {
  SuperOfficeCoalesced,
  SuperOfficeInbox,
  SuperOfficeInboxJob,
  SuperOfficeInboxWorker,
  SuperOfficeJobAttempt,
  SuperOfficeJobProcessor,
  SuperOfficeReconciled,
  SuperOfficeReplay,
  SuperOfficeWorkerOptions,
} from './inbox.js'
export {
  meterSuperOfficeWebhooks,
  type OpenTelemetryMeterLike,
  type OpenTelemetryObservableCallback,
  type SuperOfficeMeterOptions,
} from './metrics.js'
export {
  INBOX_CHANNEL,
  RECEIVE_CHANNEL,
  type SuperOfficeInboxMessage,
  type SuperOfficeReceiveMessage,
} from './observe.js'
export type {
  SuperOfficeDedupeOptions,
  SuperOfficeLogger,
  SuperOfficeLogLevel,
  SuperOfficeSecretHint,
  SuperOfficeSecretResolver,
  SuperOfficeWebhooksOptions,
} from './options.js'
export {
  type OpenTelemetrySpanLike,
  type OpenTelemetryTracerLike,
  traceSuperOfficeWebhooks,
} from './otel.js'
export { createSuperOfficeWebhooks } from './receiver.js'
export type { SuperOfficeEventFor, SuperOfficeEventPattern, SuperOfficeEventSelector } from './routing.js'
export {
  isSuperOfficeEventName,
  type SuperOfficeAnyEvent,
  type SuperOfficeEvent,
  type SuperOfficeEventKind,
  type SuperOfficeEventName,
  type SuperOfficeExtraTableEvent,
  type SuperOfficeExtraTableEventName,
  type SuperOfficeListEvent,
  type SuperOfficeListEventName,
  type SuperOfficeUnknownEvent,
  type SuperOfficeWebhookStateEvent,
  type SuperOfficeWebhookStateEventName,
  schemaForEvent,
  superOfficeEventNames,
  superOfficeEventSchemas,
  superOfficeExtraTableEventSchema,
  superOfficeListEventSchema,
  superOfficeUnknownEventSchema,
  superOfficeWebhookStateEventSchema,
} from './schemas.js'
export {
  createMemorySecretStore,
  type SuperOfficeSecretStore,
  secretsFromStore,
} from './secret-store.js'
export {
  type RawBody,
  type SignatureVerification,
  type SuperOfficeSecrets,
  signPayload,
  signPayloadAsync,
  usesNodeCrypto,
  verifySignature,
  verifySignatureSync,
  verifySignatureWebCrypto,
} from './signature.js'
export { superOfficeTenantChangeTypes } from './tenant-changes.js'
export type {
  NodeBodyLike,
  SuperOfficeAnswerBody,
  SuperOfficeAnyEventHandler,
  SuperOfficeBodySource,
  SuperOfficeChangedField,
  SuperOfficeDeadLetter,
  SuperOfficeDeadLetterHandler,
  SuperOfficeEntities,
  SuperOfficeEntityFetcher,
  SuperOfficeEntityFor,
  SuperOfficeErrorHandler,
  SuperOfficeErrorInfo,
  SuperOfficeEventContext,
  SuperOfficeEventHandler,
  SuperOfficeHandlerOptions,
  SuperOfficeOutcome,
  SuperOfficeOutcomeHandler,
  SuperOfficeReceiver,
  SuperOfficeRequestInput,
  SuperOfficeWebhookAnswer,
  SuperOfficeWebhookInput,
  SuperOfficeWebhooks,
} from './types.js'
export {
  isSuperOfficeEvent,
  parseSuperOfficeEvent,
  SchemaIssue,
  type SuperOfficeParseResult,
  superOfficeEventStandardSchema,
} from './validate.js'
