import type { SuperOfficeSecretResolver } from './options.js'

/**
 * Where each tenant's webhook secrets live, for an app with one webhook per tenant: the fleet
 * tools (`ensureTenantWebhooks` in `@superoffice-webhooks/admin`) write them, the receiver reads
 * them through {@link secretsFromStore}. Secrets are kept newest first; during a rotation a tenant
 * has two, so deliveries signed with either are accepted. Implementations: in memory (here),
 * Redis (`@superoffice-webhooks/redis`) and PostgreSQL (`@superoffice-webhooks/postgres`).
 *
 * @example
 * ```ts
 * const store: SuperOfficeSecretStore = createRedisSecretStore(new Redis(process.env.REDIS_URL!))
 * await store.get('Cust12345') // ['current', 'previous'] during a rotation, [] for an unknown tenant
 * ```
 */
export interface SuperOfficeSecretStore {
  /** The tenant's secrets, newest first; empty when it has none. */
  get(tenant: string): Promise<string[]>
  /** Replaces the tenant's secrets (newest first, at least one). */
  set(tenant: string, secrets: readonly string[]): Promise<void>
  /** Forgets the tenant (its app was uninstalled, or the tenant deleted). */
  delete(tenant: string): Promise<void>
  /** Every tenant with a secret: the app's installed tenants, for the fleet tools. */
  tenants(): Promise<string[]>
}

/**
 * A secret store in this process's memory: for tests and single-process apps that load the
 * secrets from their own configuration at start.
 *
 * @example
 * ```ts
 * const store = createMemorySecretStore({ Cust12345: 'secret-a', Cust67890: ['new', 'old'] })
 * ```
 */
export function createMemorySecretStore(
  initial: Record<string, string | readonly string[]> = {},
): SuperOfficeSecretStore {
  const secrets = new Map<string, string[]>()
  for (const [tenant, value] of Object.entries(initial))
    secrets.set(tenant, typeof value === 'string' ? [value] : [...value])
  return {
    get: async (tenant) => [...(secrets.get(tenant) ?? [])],
    async set(tenant, values) {
      checkSecrets(values)
      secrets.set(tenant, [...values])
    },
    async delete(tenant) {
      secrets.delete(tenant)
    },
    tenants: async () => [...secrets.keys()],
  }
}

/**
 * The receiver's secret resolver over a {@link SuperOfficeSecretStore}: a delivery is verified with
 * its tenant's secrets (any of them, during a rotation), and one of a tenant without secrets is
 * refused with 401 like a wrong signature. A tenant is trusted only once its own secret matches.
 *
 * @example
 * ```ts
 * const webhooks = createSuperOfficeWebhooks({ secret: secretsFromStore(store) })
 * ```
 */
export function secretsFromStore(store: Pick<SuperOfficeSecretStore, 'get'>): SuperOfficeSecretResolver {
  return async ({ tenant }) => {
    if (!tenant) return undefined
    const secrets = await store.get(tenant)
    return secrets.length > 0 ? secrets : undefined
  }
}

/**
 * Refuses an empty list or an empty secret (a webhook without a secret signs nothing): what every
 * {@link SuperOfficeSecretStore}'s `set` checks first.
 *
 * @example
 * ```ts
 * checkSecrets(['new', 'old']) // fine; checkSecrets([]) and checkSecrets(['']) throw a TypeError
 * ```
 */
export function checkSecrets(values: readonly string[]): void {
  if (values.length === 0 || values.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new TypeError('A secret store keeps at least one secret per tenant, none of them empty.')
  }
}
