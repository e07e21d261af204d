declare function defineNuxtConfig<T>(config: T): T

// #region readme
// nuxt.config.ts
export default defineNuxtConfig({
  modules: ['@superoffice-webhooks/nuxt'],
  superofficeWebhooks: { route: '/webhooks/superoffice' }, // the default
})
// #endregion readme
