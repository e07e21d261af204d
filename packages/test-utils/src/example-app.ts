import { type ChildProcess, spawn } from 'node:child_process'
import { freePort } from './ports.js'

/** A started example app: its origin, what it printed, and a way to stop it. */
export interface ExampleApp {
  url: string
  port: number
  /** Every line the app printed on stdout so far. */
  lines: string[]
  /** What the app printed on stderr so far. */
  stderr(): string
  /** Resolves once a line matching `pattern` has been printed (or rejects after `timeoutMs`). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>
  stop(): Promise<void>
}

/**
 * Starts an example app the way its README says (`node <entry>` from its build output, with
 * `PORT` and `SUPEROFFICE_WEBHOOK_SECRET`), and waits until `GET /healthz` answers 200.
 */
export async function startExampleApp(options: {
  command: string
  args: string[]
  cwd: string
  env?: Record<string, string>
  timeoutMs?: number
}): Promise<ExampleApp> {
  const port = await freePort()
  // Its own process group, so stopping it also stops whatever it started (a runtime's launcher,
  // a worker); the group is killed when the test process exits too, whatever ended it.
  const child: ChildProcess = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, NODE_ENV: 'production', ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal)
    } catch {
      child.kill(signal)
    }
  }
  const onExit = () => killGroup('SIGKILL')
  process.once('exit', onExit)
  const lines: string[] = []
  const waiters = new Set<() => void>()
  let stderr = ''
  let buffer = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    lines.push(...parts)
    for (const waiter of waiters) waiter()
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  // Readiness, not a deadline: it ends when the app answers or exits. The guard is only for an
  // app that hangs at start (default 150 s, inside the test's own limit).
  const deadline = Date.now() + (options.timeoutMs ?? 150_000)
  for (;;) {
    if (child.exitCode !== null) {
      process.off('exit', onExit)
      throw new Error(`example app exited with ${child.exitCode}\n${stderr}\n${lines.join('\n')}`)
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) })
      if (response.status === 200) break
    } catch {}
    if (Date.now() > deadline) {
      killGroup('SIGKILL')
      process.off('exit', onExit)
      throw new Error(`example app did not answer /healthz in time\n${stderr}\n${lines.join('\n')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    url,
    port,
    lines,
    stderr: () => stderr,
    waitForLine(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines.find((l) => pattern.test(l))
          if (line === undefined) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(line)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no line matching ${pattern} in:\n${lines.join('\n')}\n${stderr}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup('SIGTERM')
        const timer = setTimeout(() => killGroup('SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
      }
      // Anything the app started and left behind goes with it.
      killGroup('SIGKILL')
      process.off('exit', onExit)
    },
  }
}

/** The one log line every example app prints per event (README: The example apps). */
export const EVENT_LINE = /^superoffice event=(\S+) key=(\S+) tenant=(\S+) id=(\S+)$/
