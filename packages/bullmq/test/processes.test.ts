// A worker process killed mid-job (the scenario every engine runs). The Koa example's receiver and
// worker processes are tested in e2e/.
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { crashedWorkerScenario } from './scenarios.js'

let redis: TestRedisServer
beforeAll(async () => {
  if (hasRedis) redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

describe.runIf(hasRedis)('worker processes', () => {
  it(
    'a worker killed with SIGKILL mid-job: the job is taken over once its lock expires',
    () =>
      crashedWorkerScenario(
        { connection: redis.url, queueName: 'crash' },
        { REDIS_URL: redis.url, QUEUE: 'crash' },
        process.env.SUPEROFFICE_BULLMQ_MAJOR ?? '5',
      ),
    120_000,
  )
})
