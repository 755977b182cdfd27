#!/usr/bin/env bash
# The main job: set up what is missing, start a local HAProxy + Data Plane API
# (+ Consul) on 127.0.0.1, and `pulumi up` the quickstart against it.
#   bash scripts/quickstart.sh         start (or reuse) the local environment and run pulumi up
#   bash scripts/quickstart.sh stop    destroy the quickstart stack and stop everything it started
# Every pulumi command goes through scripts/pulumi, the wrapper the printed hints use too.
# QUICKSTART_SKIP_SETUP=1 skips scripts/setup.sh (for a machine where it already ran); `stop`
# never runs it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "${QUICKSTART_SKIP_SETUP:-}" = 1 ] || [ "${1:-}" = stop ]; then
  source scripts/bench-tools.sh
  use_project_node
else
  source scripts/setup.sh
fi

STATE=".bench/local.json"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-local-quickstart}"
export PULUMI_HOME="${PULUMI_HOME:-$ROOT/.bench/pulumi-home}"
mkdir -p .pulumi-state .bench "$PULUMI_HOME"
pulumi() { "$ROOT/scripts/pulumi" "$@"; }

field() { node -p "const s=require('./$STATE'); ($1) ?? ''"; }

if [ "${1:-}" = "stop" ]; then
  if [ -f "$STATE" ]; then
    log "pulumi destroy of the quickstart (stack 'local')"
    pulumi destroy --yes --stack local --non-interactive >&2 || true
    log "stopping the local environment (pid $(field s.pid))"
    kill "$(field s.pid)" 2>/dev/null || true
    for _ in $(seq 100); do [ -f "$STATE" ] || break; sleep 0.1; done
  fi
  log "stopped"; exit 0
fi

if [ -f "$STATE" ] && kill -0 "$(field s.pid)" 2>/dev/null; then
  log "local environment already running (pid $(field s.pid))"
else
  rm -f "$STATE"
  log "starting HAProxy, the Data Plane API, Consul and two demo HTTP servers on 127.0.0.1 (log: .bench/local.log)"
  nohup node test/support/run-ts.js test/bench/cli.ts "$STATE" > .bench/local.log 2>&1 &
  started=$!
  log "waiting for HAProxy, the Data Plane API and Consul to answer (usually 5 to 20 s; at most 90 s)"
  # The bench gives each program its own timeout (HAProxy 10 s, Consul 30 s, the Data Plane API 30 s).
  for i in $(seq 900); do
    [ -f "$STATE" ] && break
    kill -0 "$started" 2>/dev/null || break
    if [ $((i % 100)) -eq 0 ]; then log "  still waiting ($((i / 10)) s)"; fi
    sleep 0.1
  done
  [ -f "$STATE" ] || { tail -n 60 .bench/local.log >&2; kill "$started" 2>/dev/null || true; log "the local environment did not start (full log: $ROOT/.bench/local.log)"; exit 1; }
  log "local environment up: Data Plane API $(field s.dataplane.generation) at $(field s.dataplane.url)"
fi

URL="$(field s.dataplane.url)"; USER_="$(field s.dataplane.username)"; PASS="$(field s.dataplane.password)"
log "configuring stack 'local' (Data Plane API URL, user, password as a secret, demo server ports)"
pulumi stack select local --create --non-interactive >&2
pulumi config set haproxy-dataplane:url "$URL" --stack local >&2
pulumi config set haproxy-dataplane:username "$USER_" --stack local >&2
pulumi config set haproxy-dataplane:password "$PASS" --secret --stack local >&2
pulumi config set --path 'upstreamPorts[0]' "$(field s.upstreamPorts[0])" --stack local >&2
pulumi config set --path 'upstreamPorts[1]' "$(field s.upstreamPorts[1])" --stack local >&2
QPORT="$(field s.quickstartPort)"
pulumi config set frontendPort "$QPORT" --stack local >&2
log "pulumi up of the quickstart (stack 'local'): a Backend, two Servers and a Frontend; HAProxy reloads once (10 to 30 s)"
pulumi up --yes --stack local --non-interactive >&2
log "pulumi up done"

log "requests through the quickstart's Frontend (http://127.0.0.1:$QPORT/):"
for i in 1 2 3 4; do printf '  curl http://127.0.0.1:%s/  -> %s\n' "$QPORT" "$(curl -s "http://127.0.0.1:$QPORT/")"; done
q() { printf '%q' "$1"; }
cat <<INFO

Local environment (all on 127.0.0.1):
  Quickstart         http://127.0.0.1:$QPORT/   (the Frontend "web" the program declares)
  haproxy.cfg        $(field s.haproxyConfig)
  Data Plane API     $URL/$(field s.dataplane.generation)   user: $USER_   password: $PASS
  Consul             $(field "s.consul && s.consul.url" )
  Pulumi state       $ROOT/.pulumi-state (local backend; scripts/pulumi uses it)

Try (each line runs as pasted, in this shell or a new one):
  cd $(q "$ROOT") && scripts/pulumi preview --diff --stack local
  cd $(q "$ROOT") && scripts/pulumi stack output --stack local
  curl http://127.0.0.1:$QPORT/
  bash $(q "$ROOT/scripts/quickstart.sh") stop

INFO
if [ "$PULUMI_CONFIG_PASSPHRASE" != local-quickstart ]; then
  echo "(You set your own PULUMI_CONFIG_PASSPHRASE: in a new shell, export it again before scripts/pulumi.)"
fi
