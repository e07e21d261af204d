import { existsSync } from 'node:fs'

const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

/**
 * Debian's Chromium (nothing downloads a browser): its path, or `undefined` after a loud skip
 * notice locally; in CI its absence fails, since .ci/run installs it. Called by browser suites only.
 */
export function findChromium(): string | undefined {
  const found = process.env.CHROMIUM_PATH ?? candidates.find((path) => existsSync(path))
  if (found) return found
  if (process.env.CI) throw new Error('chromium is not installed; .ci/run must install it (apt-get install chromium).')
  console.warn('\n!!! SKIPPING browser tests: chromium is not installed (apt-get install chromium) !!!\n')
  return undefined
}
