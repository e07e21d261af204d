import { vitestConfig } from '../../vitest.shared.js'

export default vitestConfig({ testTimeout: 90_000, typecheck: false })
