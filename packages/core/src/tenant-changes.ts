/**
 * SuperOffice's tenant status change types (`ChangeType` of a tenant status notification), by
 * name: what the tenant status receiver (`@superoffice-webhooks/api`) and the Online stand-in
 * (`@superoffice-webhooks/testing`) both speak.
 *
 * @example
 * ```ts
 * superOfficeTenantChangeTypes.Suspend // 2
 * ```
 */
export const superOfficeTenantChangeTypes = {
  Upgrade: 0,
  BackupRestored: 1,
  Suspend: 2,
  Resume: 3,
  Delete: 4,
  Move: 5,
} as const
