// The documentation site: the guides in docs/ as pages (docs/README.md is the home), the API
// reference TypeDoc generates into docs/api, and VitePress's local search (no service, works
// offline). Links that leave docs/ for the repository (../packages/…, ../apps/…) point at GitHub
// on the site, so the same Markdown reads right on GitHub and here.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitepress'

const repository = 'https://github.com/superoffice-webhooks/superoffice-webhooks'
const apiSidebar = fileURLToPath(new URL('../api/typedoc-sidebar.json', import.meta.url))

export default defineConfig({
  title: 'superoffice-webhooks',
  description: 'Receive SuperOffice CRM webhooks in Node.js: signed, typed, durable.',
  srcExclude: ['snippets/**', 'site/**'],
  rewrites: { 'README.md': 'index.md' },
  cleanUrls: true,
  lastUpdated: false,
  // A link to a missing page fails the build. Only localhost links (the dev server the docs point
  // to) are let through.
  ignoreDeadLinks: 'localhostLinks',
  // The local search index and the API pages make large chunks; that is expected here.
  vite: { build: { chunkSizeWarningLimit: 5000 } },
  markdown: {
    config(md) {
      md.core.ruler.push('repository-links', (state) => {
        for (const token of state.tokens) {
          for (const child of token.children ?? []) {
            if (child.type !== 'link_open') continue
            const href = child.attrGet('href')
            if (href?.startsWith('../')) {
              const path = href.slice(3)
              child.attrSet('href', `${repository}/${/\.[a-z]+(#.*)?$/.test(path) ? 'blob' : 'tree'}/main/${path}`)
            }
          }
        }
      })
    },
  },
  themeConfig: {
    search: { provider: 'local' },
    nav: [
      { text: 'Guides', link: '/receiving' },
      { text: 'API reference', link: '/api/' },
    ],
    sidebar: {
      '/api/': existsSync(apiSidebar)
        ? [{ text: 'API reference', link: '/api/', items: JSON.parse(readFileSync(apiSidebar, 'utf8')) }]
        : [],
      '/': [
        {
          text: 'Receiving',
          items: [
            { text: 'The pipeline in core', link: '/receiving' },
            { text: 'Express, Koa, web-standard', link: '/frameworks' },
            { text: 'Nuxt and Nitro', link: '/nuxt' },
            { text: 'NestJS', link: '/nestjs' },
            { text: 'Event catalogue', link: '/events' },
            { text: 'After the 200', link: '/after-the-200' },
          ],
        },
        {
          text: 'SuperOffice',
          items: [
            { text: 'Setting up SuperOffice', link: '/setting-up-superoffice' },
            { text: 'SuperOffice Online', link: '/online' },
            { text: 'Managing webhooks', link: '/managing-webhooks' },
          ],
        },
        {
          text: 'Production',
          items: [
            { text: 'The durable inbox', link: '/inbox' },
            { text: 'Production and troubleshooting', link: '/production' },
            { text: 'Testing', link: '/testing' },
            { text: 'Performance', link: '/performance' },
            { text: 'Development', link: '/development' },
          ],
        },
      ],
    },
    socialLinks: [{ icon: 'github', link: repository }],
  },
})
