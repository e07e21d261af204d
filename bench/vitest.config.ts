import { vitestConfig } from '../vitest.shared.js'

export default vitestConfig({ testTimeout: 120_000, typecheck: false })
