import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.shared.js'

// The inbox, and the queue page on its own entry (`/board`), so bull-board loads only for apps that mount it.
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/board.ts'] })
