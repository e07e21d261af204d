#!/usr/bin/env bash
# Set-up and entry point for a fresh machine: brings Node 24 and pnpm when they are missing
# (from the npm registry, into a cache folder outside the checkout), installs with the frozen
# lockfile, then runs what was asked.
#
#   bash scripts/dev.sh demo     build, start the Koa example and send it every sample event
#   bash scripts/dev.sh test     build, lint, typecheck, tests and package checks (what CI runs)
#   bash scripts/dev.sh bench    benchmarks
#   bash scripts/dev.sh docs     serve the documentation site (guides and API reference) on :5173
#   bash scripts/dev.sh start APP build and start one example app (koa-example, nestjs-example…)
#   bash scripts/dev.sh pack [DIR] every published package's tarball in one folder (default ./tarballs)
#   bash scripts/dev.sh pnpm ... any pnpm command with the pinned toolchain
#   eval "$(bash scripts/dev.sh env)"   put the pinned Node and pnpm on this shell's PATH
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false

NODE_VERSION=24.21.0
PNPM_VERSION=12.21.0
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="${SUPEROFFICE_WEBHOOKS_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/superoffice-webhooks/node-$NODE_VERSION-pnpm-$PNPM_VERSION}"

have_node24() { command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" -ge 24 ] 2>/dev/null; }
have_pnpm() { command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; }

if ! have_node24 || ! have_pnpm; then
  if [ ! -x "$tools/node_modules/.bin/node" ] || [ ! -x "$tools/node_modules/.bin/pnpm" ]; then
    command -v npm >/dev/null 2>&1 || { echo "scripts/dev.sh: npm is needed to bring Node $NODE_VERSION and pnpm $PNPM_VERSION" >&2; exit 1; }
    echo "scripts/dev.sh: installing Node $NODE_VERSION and pnpm $PNPM_VERSION into $tools" >&2
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "node@$NODE_VERSION" "pnpm@$PNPM_VERSION" >/dev/null
  fi
  export PATH="$tools/node_modules/.bin:$PATH"
fi
# The machine's own Node (often 20) stays reachable for the Node 20 smoke test of built packages.
if [ -z "${SYSTEM_NODE:-}" ] && [ -x /usr/bin/node ]; then export SYSTEM_NODE=/usr/bin/node; fi

cd "$root"
install() { pnpm install --frozen-lockfile --prefer-offline --reporter=append-only </dev/null; }
# The benchmarks' own servers and load generator: redis-server (the inbox) and wrk (HTTP), from
# Debian when this is a Debian machine run as root; otherwise those tables say they were skipped.
bench_tools() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "scripts/dev.sh: installing ${missing[*]} from Debian for the benchmarks" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

cmd="${1:-test}"
shift || true
case "$cmd" in
  test) install; pnpm run check "$@" ;;
  demo)
    # Only what the demo runs (the Koa example and the CLI), quietly: the logs are kept in a file
    # and printed only when a step fails.
    log="${TMPDIR:-/tmp}/superoffice-webhooks-demo.log"
    started=$SECONDS
    demo_pkgs=(--filter koa-example... --filter @superoffice-webhooks/cli...)
    # Installed: what the demo runs and builds with, not the test kit its packages develop with.
    demo_install=(--filter-prod koa-example... --filter-prod @superoffice-webhooks/cli...)
    echo "Installing the demo's dependencies with pnpm $PNPM_VERSION on Node $(node --version)…"
    if ! pnpm install --frozen-lockfile --prefer-offline --reporter=append-only --filter superoffice-webhooks-monorepo "${demo_install[@]}" </dev/null >"$log" 2>&1; then
      cat "$log" >&2; exit 1
    fi
    echo "Building the Koa example, the CLI and the packages they use…"
    if ! pnpm exec turbo run build "${demo_pkgs[@]}" --output-logs=errors-only >>"$log" 2>&1; then
      cat "$log" >&2; exit 1
    fi
    echo "Ready in $((SECONDS - started)) s (log: $log)."
    node scripts/demo.mjs "$@" ;;
  bench) install; bench_tools; pnpm run bench "$@" ;;
  start)
    app="${1:?usage: bash scripts/dev.sh start <koa-example|express-example|nestjs-example|nitro-example|nuxt-example|hono-example|next-example|edge-example>}"
    install; pnpm exec turbo run build --filter "$app..." --output-logs=errors-only; pnpm --filter "$app" start ;;
  pack) install; node scripts/pack.mjs "$@" ;;
  docs)
    # The API reference is generated from the packages' sources, which import each other's builds.
    install; pnpm exec turbo run build --filter 'docs^...' --output-logs=errors-only
    pnpm --filter docs run dev --port "${PORT:-5173}" "$@" ;;
  pnpm) pnpm "$@" ;;
  env) echo "export PATH=\"$(dirname "$(command -v node)"):$(dirname "$(command -v pnpm)"):\$PATH\"" ;;
  *) echo "usage: bash scripts/dev.sh [test|demo|bench|docs|start APP|pack [DIR]|pnpm ...|env]" >&2; exit 2 ;;
esac
