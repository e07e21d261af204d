/**
 * `@superoffice-webhooks/test-utils/servers`: the real servers tests start for themselves on free
 * loopback ports (redis-server, a Redis Cluster, PostgreSQL as Debian's postgres user) and the
 * headless Chromium browser tests drive. Each `has…` is false, with a loud skip message, when the
 * server is not installed; in CI a missing server fails the run instead.
 */
export { findChromium } from './browser.js'
export { freePort } from './ports.js'
export { hasPostgres, startPostgresServer, type TestPostgresServer } from './postgres-server.js'
export { hasRedisCluster, startRedisCluster, type TestRedisCluster } from './redis-cluster.js'
export { hasRedis, startRedisServer, type TestRedisServer } from './redis-server.js'
