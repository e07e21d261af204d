import { vitestConfig } from '../../vitest.shared.js'

export default vitestConfig({ include: ['src/**/*.test.ts'], typecheck: false })
