// Modules Nitro provides when it bundles the app; declared here for the type check of this package.
declare module '#imports' {
  export function useRuntimeConfig(event?: unknown): Record<string, unknown>
  export function defineNitroPlugin<T>(plugin: T): T
}
declare module '#superoffice-webhooks/handlers' {
  const handlers: unknown[]
  export default handlers
}
declare module '#superoffice-webhooks/inbox' {
  const inbox: unknown
  export default inbox
}
declare module '#superoffice-webhooks/api' {
  const api: unknown
  export default api
}
declare module '#superoffice-webhooks/tenant-status' {
  const receiver: unknown
  export default receiver
}
