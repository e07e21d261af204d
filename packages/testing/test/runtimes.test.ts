import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findRuntimeBinary } from '../src/index.js'

describe('findRuntimeBinary', () => {
  it('answers undefined, without throwing, where neither runtime is installed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-runtimes-'))
    writeFileSync(join(dir, 'package.json'), '{"name":"x"}')
    expect(findRuntimeBinary('bun', dir)).toBeUndefined()
    expect(findRuntimeBinary('deno', dir)).toBeUndefined()
    expect(findRuntimeBinary('deno', join(dir, 'missing'))).toBeUndefined()
  })
})
