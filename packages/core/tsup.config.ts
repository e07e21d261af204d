import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.shared.js'

// The app's entry and the adapter authors' (`/adapter`). Split into shared chunks in both formats,
// so the two entries share one copy of every module (one error class, one receiver).
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/adapter.ts'], splitting: true })
