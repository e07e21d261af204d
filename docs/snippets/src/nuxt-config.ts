declare function defineNuxtConfig<T>(config: T): T

// #region readme
// nuxt.config.ts: the key the route reads; NUXT_SUPEROFFICE_WEBHOOK_SECRET fills it at run time.
export default defineNuxtConfig({
  runtimeConfig: { superofficeWebhookSecret: '' },
})
// #endregion readme
