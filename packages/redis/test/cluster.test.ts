// Issue 21: the dedupe store on Redis Cluster (three masters the test starts): every key is its
// own, so claims spread over the slots and keep their semantics.
import { hasRedisCluster, startRedisCluster, type TestRedisCluster } from '@superoffice-webhooks/test-utils/servers'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisDedupeStore } from '../src/index.js'

let cluster: TestRedisCluster
beforeAll(async () => {
  if (hasRedisCluster) cluster = await startRedisCluster()
})
afterAll(async () => {
  await cluster?.stop()
})

describe.runIf(hasRedisCluster)('createRedisDedupeStore on Redis Cluster', () => {
  it('claim, complete and release hold across keys in every slot; two stores claim each key once', async () => {
    const a = new Cluster(cluster.nodes)
    const b = new Cluster(cluster.nodes)
    try {
      const one = createRedisDedupeStore(a)
      const two = createRedisDedupeStore(b)
      const keys = Array.from({ length: 60 }, (_, i) => `Cust${i}:event-${i}`)
      const claims = await Promise.all(keys.flatMap((key) => [one.claim(key, 10_000), two.claim(key, 10_000)]))
      for (let i = 0; i < keys.length; i++) expect([claims[2 * i], claims[2 * i + 1]].filter(Boolean)).toHaveLength(1)
      await one.release(keys[0] as string)
      await two.release(keys[0] as string)
      expect(await two.claim(keys[0] as string, 10_000)).toBe(true)
      await two.complete(keys[0] as string, 60_000)
      expect(await one.claim(keys[0] as string, 10_000)).toBe(false)
      // The keys really are spread over the masters.
      const nodes = await Promise.all(a.nodes('master').map((node) => node.dbsize()))
      expect(nodes.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2)
    } finally {
      a.disconnect()
      b.disconnect()
    }
  })
})
