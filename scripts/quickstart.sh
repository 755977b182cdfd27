#!/usr/bin/env bash
# The main job: set up what is missing, start a local HAProxy + Data Plane API
# (+ Consul) on 127.0.0.1, and `pulumi up` the quickstart against it.
#   bash scripts/quickstart.sh         start (or reuse) the local environment and run pulumi up
#   bash scripts/quickstart.sh stop    destroy the quickstart stack and stop everything it started
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh

STATE=".bench/local.json"
export PULUMI_BACKEND_URL="file://$ROOT/.pulumi-state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-local-quickstart}"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_HOME="${PULUMI_HOME:-$ROOT/.bench/pulumi-home}"
mkdir -p .pulumi-state .bench "$PULUMI_HOME"

field() { node -p "const s=require('./$STATE'); ($1) ?? ''"; }

if [ "${1:-}" = "stop" ]; then
  if [ -f "$STATE" ]; then
    pulumi destroy --yes --stack local --non-interactive >&2 || true
    log "stopping the local environment (pid $(field s.pid))"
    kill "$(field s.pid)" 2>/dev/null || true
    for _ in $(seq 50); do [ -f "$STATE" ] || break; sleep 0.1; done
  fi
  log "stopped"; exit 0
fi

if [ -f "$STATE" ] && kill -0 "$(field s.pid)" 2>/dev/null; then
  log "local environment already running (pid $(field s.pid))"
else
  rm -f "$STATE"
  log "starting HAProxy, the Data Plane API, Consul and two demo HTTP servers on 127.0.0.1"
  nohup node test/support/run-ts.js test/bench/cli.ts "$STATE" > .bench/local.log 2>&1 &
  for _ in $(seq 300); do [ -f "$STATE" ] && break; kill -0 $! 2>/dev/null || break; sleep 0.1; done
  [ -f "$STATE" ] || { cat .bench/local.log >&2; log "the local environment did not start"; exit 1; }
fi

URL="$(field s.dataplane.url)"; USER_="$(field s.dataplane.username)"; PASS="$(field s.dataplane.password)"
log "running pulumi up of the quickstart (stack 'local')"
pulumi stack select local --create --non-interactive >&2
pulumi config set haproxy-dataplane:url "$URL" --stack local >&2
pulumi config set haproxy-dataplane:username "$USER_" --stack local >&2
pulumi config set haproxy-dataplane:password "$PASS" --secret --stack local >&2
pulumi config set --path 'upstreamPorts[0]' "$(field s.upstreamPorts[0])" --stack local >&2
pulumi config set --path 'upstreamPorts[1]' "$(field s.upstreamPorts[1])" --stack local >&2
QPORT="$(field s.quickstartPort)"
pulumi config set frontendPort "$QPORT" --stack local >&2
pulumi up --yes --stack local --non-interactive >&2

log "requests through the quickstart's Frontend (http://127.0.0.1:$QPORT/):"
for i in 1 2 3 4; do printf '  curl http://127.0.0.1:%s/  -> %s\n' "$QPORT" "$(curl -s "http://127.0.0.1:$QPORT/")"; done
cat <<INFO

Local environment (all on 127.0.0.1):
  Quickstart         curl http://127.0.0.1:$QPORT/   (the Frontend "web" the program declares)
  haproxy.cfg        $(field s.haproxyConfig)
  Data Plane API     $URL/$(field s.dataplane.generation)   user: $USER_   password: $PASS
  Consul             $(field "s.consul && s.consul.url" )
  Pulumi state       $ROOT/.pulumi-state (passphrase: \$PULUMI_CONFIG_PASSPHRASE, default local-quickstart)
Try:  PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE=$PULUMI_CONFIG_PASSPHRASE pulumi preview --diff --stack local
Stop: bash scripts/quickstart.sh stop
INFO
