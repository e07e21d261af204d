declare const rawBody: Uint8Array
declare const secret: string
declare const newSecret: string
declare const oldSecret: string

// #region readme
import { signPayload, verifySignature } from '@superoffice-webhooks/core'

signPayload(rawBody, secret) // base64 HMAC-SHA256, as SuperOffice sends in X-SuperOffice-Signature
await verifySignature(rawBody, signPayload(rawBody, oldSecret), [newSecret, oldSecret]) // { valid: true, matched: 1 }
// #endregion readme
