export {
  createSuperOfficeApi,
  type SuperOfficeApi,
  type SuperOfficeApiOptions,
  type SuperOfficeRequestOptions,
} from './api.js'
export { type EntityEventLike, type EntityRoute, entityRoute } from './entities.js'
export {
  assertTenant,
  type SuperOfficeAuthority,
  type SuperOfficeEnvironment,
} from './environment.js'
export { superOfficeApiOptionsFromEnv } from './from-env.js'
export type {
  AppointmentEntity,
  ChatSessionEntity,
  ContactEntity,
  CustomObjectEntity,
  DocumentEntity,
  PersonEntity,
  ProjectEntity,
  ProjectMemberEntity,
  SaleEntity,
  SaleStakeholderEntity,
  TicketEntity,
} from './generated/entities.js'
export { type HttpLimits, SuperOfficeApiError, type SuperOfficeApiErrorCode } from './http.js'
export { loadSuperOfficePrivateKey } from './private-key.js'
export {
  type ReconcileOptions,
  type ReconcileResult,
  reconcile,
  type SuperOfficeReconcileEntity,
} from './reconcile.js'
export { type SuperOfficeTenantEndpoint, SuperOfficeTenantStateError } from './tenant.js'
export {
  createSuperOfficeTenantStatus,
  type SuperOfficeTenantChange,
  type SuperOfficeTenantChangeSelector,
  type SuperOfficeTenantInbox,
  type SuperOfficeTenantStatus,
  type SuperOfficeTenantStatusHandler,
  type SuperOfficeTenantStatusNotification,
  type SuperOfficeTenantStatusOptions,
  superOfficeTenantChangeTypes,
} from './tenant-status.js'
export {
  createSharedTenantThrottle,
  type SharedTenantThrottleOptions,
  type SuperOfficeTenantThrottle,
} from './throttle.js'
export { signSystemUserToken } from './ticket.js'
