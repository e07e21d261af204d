import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.shared.js'

export default defineConfig([
  packageBuild,
  { entry: ['src/cli.ts'], format: ['esm'], target: 'node20', banner: { js: '#!/usr/bin/env node' } },
])
