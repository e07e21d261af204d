import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The built command, as users run it. */
export const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

/** What a run of the command printed and how it exited. */
export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs `superoffice-webhooks <args>` as a process (colours off unless `env` says otherwise). */
export function runCli(args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}) {
  return new Promise<CliRun>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, NO_COLOR: '1', ...options.env } })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c))
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}
