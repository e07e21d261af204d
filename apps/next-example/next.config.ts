import { fileURLToPath } from 'node:url'
import type { NextConfig } from 'next'

const config: NextConfig = {
  // A self-contained server (.next/standalone), as Docker images run it; traced from the
  // repository's root because the packages come from the workspace.
  output: 'standalone',
  outputFileTracingRoot: fileURLToPath(new URL('../..', import.meta.url)),
}

export default config
