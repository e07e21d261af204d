import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSuperOfficeWebhooks, type SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import {
  hasPostgres,
  hasRedis,
  startPostgresServer,
  startRedisServer,
  type TestPostgresServer,
  type TestRedisServer,
} from '@superoffice-webhooks/test-utils/servers'
import { afterAll, beforeAll, describe } from 'vitest'

export const secret = 'inbox-secret'

export interface Listening {
  url: string
  close(): Promise<void>
}

async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A receiver over node:http: raw bytes into the pipeline, its answer out. */
export async function startReceiver(webhooks: SuperOfficeWebhooks): Promise<Listening> {
  const server = createServer(async (req, res) => {
    try {
      const rawBody = await readRawBody(req, { limit: webhooks.maxBodyBytes, headers: req.headers })
      const answer = await webhooks.handle({ rawBody, headers: req.headers })
      res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
    } catch (error) {
      const answer = webhooks.answerError(error)
      res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
    }
  })
  return listen(server)
}

/**
 * The service handlers write to: records each EventId it accepts, and answers 503 while down.
 * "Reaches the downstream exactly once" is read off `received`.
 */
export interface Downstream extends Listening {
  down: boolean
  received: Map<string, number>
  /** EventIds in order of arrival, including repeats. */
  log: string[]
}

export async function startDownstream(): Promise<Downstream> {
  const state = { down: false, received: new Map<string, number>(), log: [] as string[] }
  const server = createServer(async (req, res) => {
    const body = Buffer.from(await readRawBody(req, { limit: 1024 })).toString('utf8')
    if (state.down) {
      res.writeHead(503).end()
      return
    }
    state.received.set(body, (state.received.get(body) ?? 0) + 1)
    state.log.push(body)
    res.writeHead(200).end()
  })
  const listening = await listen(server)
  return Object.assign(state, listening)
}

/** A receiver whose every handler writes the event to the downstream, failing when it fails. */
export function writingTo(downstream: Downstream, options: Parameters<typeof createSuperOfficeWebhooks>[0] = {}) {
  const webhooks = createSuperOfficeWebhooks({ secret, logger: false, ...options })
  webhooks.onAny(async (event) => {
    const response = await fetch(downstream.url, { method: 'POST', body: String(event.EventId) })
    if (!response.ok) throw new Error(`downstream answered ${response.status}`)
  })
  return webhooks
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Polls until `check` holds, or fails after `timeoutMs` (never less than a minute: a busy machine
 * is slow, not wrong; a test that waits for something that never comes still ends).
 */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  timeoutMs = Math.max(timeoutMs, 60_000)
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(100)
  }
}

/** The BullMQ major this pass runs on (vitest.bullmq6.config.ts sets 6). */
export const major = process.env.SUPEROFFICE_BULLMQ_MAJOR ?? '5'

/**
 * A describe block per engine this pass runs on (Redis always, PostgreSQL in the BullMQ 6 pass),
 * each with a server of its own started before its tests and stopped after them. `store.url` is
 * its connection; `store.redis` the redis-server (to kill or restart), on Redis.
 */
export function describeEachEngine(
  title: string,
  body: (store: {
    name: 'Redis' | 'PostgreSQL'
    readonly url: string
    readonly redis: TestRedisServer | undefined
  }) => void,
  redisArgs: readonly string[] = [],
): void {
  const engines = [
    { name: 'Redis' as const, available: hasRedis },
    ...(major === '6' ? [{ name: 'PostgreSQL' as const, available: hasPostgres }] : []),
  ]
  for (const engine of engines) {
    describe.runIf(engine.available)(`${title} on ${engine.name}`, () => {
      let redis: TestRedisServer | undefined
      let pg: TestPostgresServer | undefined
      beforeAll(async () => {
        if (engine.name === 'Redis') redis = await startRedisServer(redisArgs)
        else pg = await startPostgresServer()
      })
      afterAll(async () => {
        await redis?.stop()
        await pg?.stop()
      })
      body({
        name: engine.name,
        get url() {
          return (redis?.url ?? pg?.url) as string
        },
        get redis() {
          return redis
        },
      })
    })
  }
}
