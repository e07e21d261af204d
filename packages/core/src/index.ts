export {
  assertContentLength,
  DEFAULT_MAX_BODY_BYTES,
  type ReadRawBodyOptions,
  readRawBody,
  readRequestBody,
} from './body.js'
export {
  createMemoryDedupeStore,
  type MemoryDedupeStore,
  type MemoryDedupeStoreOptions,
  type SuperOfficeDedupeStore,
} from './dedupe.js'
export {
  isSuperOfficeWebhookError,
  methodNotAllowed,
  SuperOfficeWebhookError,
  type SuperOfficeWebhookErrorCode,
  type SuperOfficeWebhookErrorStatus,
} from './errors.js'
export { getHeader, type HeadersLike } from './headers.js'
export {
  createSuperOfficeWebhooks,
  isSuperOfficeEvent,
  type SuperOfficeAnswerBody,
  type SuperOfficeAnyEventHandler,
  type SuperOfficeDedupeOptions,
  type SuperOfficeErrorHandler,
  type SuperOfficeErrorInfo,
  type SuperOfficeEventContext,
  type SuperOfficeEventHandler,
  type SuperOfficeLogger,
  type SuperOfficeSecretHint,
  type SuperOfficeSecretResolver,
  type SuperOfficeWebhookAnswer,
  type SuperOfficeWebhookInput,
  type SuperOfficeWebhooks,
  type SuperOfficeWebhooksOptions,
} from './receiver.js'
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
