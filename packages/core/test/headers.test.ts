import { describe, expect, it } from 'vitest'
import { getHeader } from '../src/adapter.js'

describe('getHeader', () => {
  it('reads Node-style lower-case records, whatever casing is asked for', () => {
    const headers = { 'x-superoffice-eventid': 'e1', 'content-length': '12' }
    expect(getHeader(headers, 'x-superoffice-eventid')).toBe('e1')
    expect(getHeader(headers, 'X-SuperOffice-EventId')).toBe('e1')
    expect(getHeader(headers, 'Content-Length')).toBe('12')
    expect(getHeader(headers, 'x-superoffice-retry')).toBeUndefined()
  })

  it('reads records in any casing, as tests and hand-made inputs have them', () => {
    const headers = { 'X-Superoffice-Eventid': 'e2', 'X-SUPEROFFICE-RETRY': 3, Via: ['a', 'b'] }
    expect(getHeader(headers, 'x-superoffice-eventid')).toBe('e2')
    expect(getHeader(headers, 'X-SuperOffice-EventId')).toBe('e2')
    expect(getHeader(headers, 'x-superoffice-retry')).toBe('3')
    expect(getHeader(headers, 'via')).toBe('a')
  })

  it('reads web Headers case-insensitively, and nothing from nothing', () => {
    const headers = new Headers({ 'X-SuperOffice-Event': 'sale.sold' })
    expect(getHeader(headers, 'x-superoffice-event')).toBe('sale.sold')
    expect(getHeader(headers, 'X-SUPEROFFICE-EVENT')).toBe('sale.sold')
    expect(getHeader(headers, 'x-missing')).toBeUndefined()
    expect(getHeader(undefined, 'x')).toBeUndefined()
  })
})
