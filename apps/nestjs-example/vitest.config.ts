import { vitestConfig } from '../../vitest.shared.js'

// The app is CommonJS (as most Nest 11 apps); its tests are ES modules (.mts).
export default vitestConfig({ typecheck: false, include: ['test/**/*.test.mts'] })
