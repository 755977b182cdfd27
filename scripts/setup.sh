#!/usr/bin/env bash
# One idempotent set-up for a fresh Debian machine (git, Node 20, Go 1.26):
# Node >= 22, HAProxy, the Pulumi CLI + Node language host, Consul, the
# dataplaneapi binaries (found, never built here), npm ci, build.
# Source it (`. scripts/setup.sh`) to keep the PATH it sets up.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bench-tools.sh"

log "set-up starts. A cold machine compiles the Pulumi CLI and Consul from the Go module proxy: 7 to 20 minutes on 2 cores (the longest step prints which build runs). Later runs reuse $CACHE_ROOT in seconds."

# --- Node >= 22 -------------------------------------------------------------
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -ge 22 ]; then
  log "node $(node --version): new enough"
else
  NODE_DIR="$CACHE_ROOT/node/24"
  if [ ! -x "$NODE_DIR/node_modules/node/bin/node" ]; then
    log "node $(node --version 2>/dev/null || echo none) is older than 22: installing npm package node@24 into $NODE_DIR"
    mkdir -p "$NODE_DIR"
    npm install --no-audit --no-fund --loglevel=error --prefix "$NODE_DIR" node@24 >&2
  fi
  export PATH="$NODE_DIR/node_modules/node/bin:$PATH"
  log "node $(node --version): project-local, first on PATH"
fi

# --- HAProxy ----------------------------------------------------------------
# Read the version into a variable first: a pipe into `head` can SIGPIPE haproxy under pipefail.
haproxy_version() { local v; v="$(haproxy -v 2>/dev/null)" || return 1; printf '%s\n' "${v%%$'\n'*}"; }
haproxy_ok() { command -v haproxy >/dev/null && [[ "$(haproxy_version)" =~ version\ (2\.([6-9]|[1-9][0-9])|[3-9]\.) ]]; }
if haproxy_ok; then
  log "haproxy: $(haproxy_version | cut -d' ' -f1-3)"
else
  log "haproxy: installing from Debian (apt-get install haproxy)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -q haproxy >&2 || { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q haproxy >&2; }
  haproxy_ok || { log "haproxy >= 2.6 is still not on PATH"; exit 1; }
fi

# --- Load client, openssl (traffic, TLS tests), shellcheck (actionlint uses it) ---
for tool in wrk openssl shellcheck; do
  if command -v "$tool" >/dev/null; then continue; fi
  log "$tool: installing from Debian (apt-get install $tool)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -q "$tool" >&2 || { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q "$tool" >&2; }
done

# --- Go-built tools ---------------------------------------------------------
ensure_language_host
ensure_pulumi_cli
ensure_consul
# Only one test needs actionlint, and it skips (with the reason) without it.
ensure_actionlint || log "actionlint: build failed; the workflow lint test will be skipped"
PULUMI_DIR="$CACHE_ROOT/pulumi/$PULUMI_VERSION"
ln -sf "$CACHE_ROOT/pulumi-language-nodejs/$LANGHOST_SDK_VERSION/pulumi-language-nodejs" "$PULUMI_DIR/pulumi-language-nodejs"
export PATH="$PULUMI_DIR:$CACHE_ROOT/consul/$CONSUL_VERSION:$PATH"

# --- dataplaneapi: found, not built -------------------------------------------
find_dataplaneapi() {
  local gen="$1" var="DATAPLANEAPI_${1^^}_BIN" commit="$2"
  local cached="$CACHE_ROOT/dataplaneapi/$gen/dataplaneapi"
  if [ -n "${!var:-}" ] && [ -x "${!var}" ]; then log "dataplaneapi $gen: ${!var} (from \$$var)"; return; fi
  if [ -x "$cached" ]; then log "dataplaneapi $gen: $cached (cached)"; return; fi
  log "dataplaneapi $gen: trying go install ...@$commit (works only where the public module proxy serves haproxytech)"
  if GOBIN="$(dirname "$cached")" timeout 300 go install "github.com/haproxytech/dataplaneapi/cmd/dataplaneapi@$commit" >/dev/null 2>&1; then
    log "dataplaneapi $gen: installed at $cached"; return
  fi
  log "dataplaneapi $gen: NOT AVAILABLE. Set $var to a binary or put one at $cached; tests that need it will be skipped (see README)."
}
find_dataplaneapi v3 fef0121616506db2d3cef472002bf222d1d80848
find_dataplaneapi v2 19906c9151cdfe2f01c170a554c830c153d77123

# --- npm ---------------------------------------------------------------------
cd "$ROOT"
log "npm ci (installs node_modules from package-lock.json: 20 s to 2 minutes, by the npm cache)"
npm ci --no-audit --no-fund --loglevel=error >&2
# The dynamic-provider plugin is a script inside @pulumi/pulumi; the engine
# looks for it next to the pulumi binary.
cp node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs "$PULUMI_DIR/"
log "build (tsc)"
npm run --silent build >&2
# Programs resolve the package by name (the serialized provider does too), so
# the packed package is unpacked where Node looks for it, as a user installs it.
log "npm pack -> node_modules/pulumi-haproxy-dataplane"
packdir="$(mktemp -d)"
npm pack --silent --pack-destination "$packdir" >/dev/null
rm -rf node_modules/pulumi-haproxy-dataplane && mkdir -p node_modules/pulumi-haproxy-dataplane
tar xzf "$packdir"/*.tgz -C node_modules/pulumi-haproxy-dataplane --strip-components=1
rm -rf "$packdir"
log "set-up done: $(node --version), $(pulumi version), $(haproxy_version | cut -d' ' -f1-3)"
