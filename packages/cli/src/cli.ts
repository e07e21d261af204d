import { EXIT, errRed, UsageError, VERSION } from './common.js'
import { events, send, sign, verify } from './endpoint.js'
import { inbox } from './inbox.js'
import { reconcileCommand } from './reconcile.js'
import { simulate } from './simulate.js'
import { webhooks } from './webhooks.js'

const HELP = `superoffice-webhooks: try SuperOffice webhook endpoints, signatures and inboxes; manage webhooks

Usage:
  superoffice-webhooks send <url> --event <name> [--secret S] [--tenant T] [--key N]
                            [--repeat N] [--concurrency C] [--timeout MS] [--json]
  superoffice-webhooks send <url> --file <body.json> [--secret S] [--repeat N] ...
  superoffice-webhooks simulate <url> [--secret S] [--rate 5] [--duration 60s | --events N]
                            [--threads 4] [--report sim.html] [--json]
  superoffice-webhooks sign [--secret S] < body.json
  superoffice-webhooks verify [--secret S] --signature <base64> < body.json
  superoffice-webhooks events [--json]
  superoffice-webhooks inbox stats|failed|retry [--redis URL | --postgres URL] [--queue NAME] [--all | --id ID]
                            [--limit N] [--json]
  superoffice-webhooks inbox replay [--redis URL] [--id ID ...] [--since ISO] [--until ISO]
                            [--event NAME ...] [--state completed|failed] [--json]
  superoffice-webhooks inbox pause-tenant|resume-tenant|purge-tenant --tenant Cust12345
                            [--redis URL] [--queue NAME] [--json]
  superoffice-webhooks webhooks <action> --tenant Cust12345 [--environment online] [--app-token T]
                            [--private-key FILE] [--system-user-token T]   (SuperOffice Online)
  superoffice-webhooks webhooks <action> --api URL --token T                (on-premise)
  superoffice-webhooks webhooks list [--name N] [--event E] [--status S]
  superoffice-webhooks webhooks get|delete|test|last-error|restart <id>
  superoffice-webhooks webhooks create|ensure --name N --url U --event E [--event …] [--secret S]
                            [--header name=value]
  superoffice-webhooks webhooks update <id> [--name N] [--url U] [--event E] [--secret S] [--state S]
  superoffice-webhooks webhooks signal <event> <primaryKey>
  superoffice-webhooks webhooks watch [--interval 60] [--restart] [--once]
  superoffice-webhooks webhooks ensure|watch|list --all-tenants [--tenants A,B] --system-user-tokens FILE
                            [--secrets redis://…|postgres://…] [--rotate] [--concurrency 4] [--json]
  superoffice-webhooks reconcile --tenant T --since ISO [--until ISO] [--entities sale,contact]
                            [--redis URL | --postgres URL] [--queue NAME] [--json]

Options:
  --secret S        the webhook secret (default: $SUPEROFFICE_WEBHOOK_SECRET); send without it
                    posts unsigned requests
  --event NAME      build a fresh, valid event of this type (see 'events'); list and custom
                    names work too
  --file PATH       post this body byte for byte (use - for standard input)
  --tenant T        ContextIdentifier of built events (default Cust12345)
  --key N           PrimaryKey of built events
  --repeat N        send N requests (fresh EventIds with --event; the same bytes with --file)
  --concurrency C   requests in flight at once (default 1)
  --timeout MS      per request (default 10000)
  --rate R          simulate: events per second (default 5)
  --duration D      simulate: how long to send (60s, 2m; default 10s); --events N instead
  --threads T       simulate: requests in flight at once, as SuperOffice's senders (default 4)
  --report FILE     simulate: also write a self-contained HTML page: the timeline of attempts,
                    failures in a row against the limit of 9, when the webhook would be disabled
  --redis URL       inbox: the BullMQ inbox's Redis (default: $REDIS_URL)
  --queue NAME      inbox: the queue name (default superoffice-webhooks)
  --tenant T        webhooks: the Online tenant (ContextIdentifier; default: $SUPEROFFICE_TENANT); its
                    host comes from SuperOffice's state API
  --environment E   webhooks: sod, stage, online (default), or an authority URL (a stand-in)
                    (default: $SUPEROFFICE_ENVIRONMENT)
  --app-token T     webhooks: the app's application token (default: $SUPEROFFICE_APP_TOKEN)
  --private-key F   webhooks: the app's RSA key file, PEM or SuperOffice XML
                    (default: $SUPEROFFICE_PRIVATE_KEY_FILE, or the key in $SUPEROFFICE_PRIVATE_KEY)
  --system-user-token T  webhooks: the tenant's system user token ($SUPEROFFICE_SYSTEM_USER_TOKEN)
  --all-tenants     webhooks ensure, watch, list: every tenant in --tenants A,B, or every tenant with
                    a system user token (watch: every tenant with a secret)
  --system-user-tokens F  all tenants, reconcile: a JSON file {"Cust12345": "token", …}
                    (default: $SUPEROFFICE_SYSTEM_USER_TOKENS, the JSON itself)
  --secrets URL     ensure|watch --all-tenants: the store of each tenant's webhook secret, the one
                    the receiver reads (redis://… or postgres://…; default: $SUPEROFFICE_SECRETS_URL)
  --rotate          ensure --all-tenants: a new secret for every tenant (the previous stays valid)
  --since, --until  reconcile: the window without deliveries (ISO times; --until default now)
  --entities E      reconcile: sale,contact,… (default sale, contact, person, appointment, project,
                    document)
  --api URL         webhooks, on-premise: the installation's API base (default: $SUPEROFFICE_API_URL)
  --token T         webhooks: an access token (default: $SUPEROFFICE_ACCESS_TOKEN); with --tenant,
                    an OAuth token used instead of a system user
  --json            machine-readable output
  --no-color        plain output (also NO_COLOR=1)

simulate sends the way SuperOffice documents: 3 attempts per event (after 1 s and 4 s), then the
event is dropped; 9 consecutive failed attempts set the webhook to TooManyErrors.

Exit codes: 0 all answered 200 / valid / done; 1 some answer was not 200, an event was lost or the
webhook would be disabled / invalid; 2 bad arguments; 3 the URL, Redis or SuperOffice's API could not be reached. webhooks: 1 when SuperOffice refused
(its message is printed), e.g. a create whose test call did not get 200.`

/**
 * The usage of one command, or of one subcommand (`webhooks watch --help`): its lines of the
 * usage above, then the options and exit codes. `undefined` for an unknown command.
 */
function commandUsage(command: string, sub: string | undefined): string | undefined {
  const [head = '', rest = ''] = HELP.split('\nOptions:')
  const entries: string[][] = []
  for (const line of head.split('\n')) {
    if (line.startsWith('  superoffice-webhooks ')) entries.push([line])
    else if (line.startsWith('    ') && entries.length > 0) entries[entries.length - 1]?.push(line)
  }
  const ofCommand = entries.filter(
    (e) =>
      (e[0] as string).startsWith(`  superoffice-webhooks ${command} `) || e[0] === `  superoffice-webhooks ${command}`,
  )
  if (ofCommand.length === 0) return undefined
  const words = (e: string[]) => (e[0] as string).split(/\s+/)[3] ?? ''
  const ofSub = sub ? ofCommand.filter((e) => words(e).split('|').includes(sub)) : []
  const chosen = ofSub.length > 0 ? ofSub : ofCommand
  return `Usage:\n${chosen.map((e) => e.join('\n')).join('\n')}\n\nOptions:${rest}`
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP)
    return command === undefined ? EXIT.usage : EXIT.ok
  }
  if (command === '--version' || command === '-v') {
    console.log(VERSION)
    return EXIT.ok
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const usage = commandUsage(
      command,
      rest.find((arg) => !arg.startsWith('-')),
    )
    if (usage) {
      console.log(usage)
      return EXIT.ok
    }
  }
  switch (command) {
    case 'send':
      return send(rest)
    case 'simulate':
      return simulate(rest)
    case 'sign':
      return sign(rest)
    case 'verify':
      return verify(rest)
    case 'events':
      return events(rest)
    case 'inbox':
      return inbox(rest)
    case 'reconcile':
      return reconcileCommand(rest)
    case 'webhooks':
      return webhooks(rest)
    default:
      throw new UsageError(
        `unknown command '${command}'. Commands: send, simulate, sign, verify, events, inbox, reconcile, webhooks.`,
      )
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${errRed('error')}: ${error.message}\nRun 'superoffice-webhooks --help' for usage.`)
      process.exitCode = EXIT.usage
    } else {
      console.error(error)
      process.exitCode = EXIT.failed
      // A connection left open by the failed command must not keep the process alive.
      setTimeout(() => process.exit(EXIT.failed), 1000).unref()
    }
  },
)
