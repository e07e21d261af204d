import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import corePackage from '../package.json' with { type: 'json' }

describe('the zod range core publishes', () => {
  it('is a range, so an app with another zod 4 keeps one copy', () => {
    expect(corePackage.dependencies.zod).toMatch(/^\^4\.\d+\.\d+$/)
  })

  it('runs this suite on the zod it was asked for (ZOD=floor: the lowest the range allows)', () => {
    const { major, minor, patch } = z.core.version
    const running = `${major}.${minor}.${patch}`
    const floor = corePackage.dependencies.zod.slice(1)
    expect(corePackage.devDependencies['zod-floor']).toBe(`npm:zod@${floor}`)
    if (process.env.ZOD === 'floor') expect(running).toBe(floor)
    else expect(major).toBe(4)
  })
})
