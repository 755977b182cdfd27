#!/usr/bin/env bash
# Builds and caches the real programs the bench runs: Pulumi CLI, the Node.js
# language host, Consul; and actionlint, which lints examples/pipeline's
# workflow. Idempotent: a cached binary is reused in milliseconds.
# Sourced by scripts/setup.sh; every function prints what it is doing because
# a cold run compiles Go for ~20 minutes on 2 cores.
set -euo pipefail

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-haproxy-dataplane"
PULUMI_VERSION="v3.274.1"
LANGHOST_SDK_VERSION="v3.68.0"
CONSUL_VERSION="v1.14.11"
ACTIONLINT_VERSION="v1.7.12"

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Puts the Node the set-up chose first on PATH: the machine's when >= 22, else
# the cached npm package node@24 (scripts/setup.sh installs it).
use_project_node() {
  local major; major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  local dir="$CACHE_ROOT/node/24/node_modules/node/bin"
  if [ "$major" -lt 22 ] && [ -x "$dir/node" ]; then export PATH="$dir:$PATH"; fi
}

# go_build_in_wrapper <out-binary> <go.mod body> <build args...>
# A throw-away module is the only way to build modules that carry replace
# directives (go install refuses them).
go_build_in_wrapper() {
  local out="$1" gomod="$2"; shift 2
  local work; work="$(mktemp -d)"
  printf '%s\n' "$gomod" > "$work/go.mod"
  # The tools-build-tag import keeps `go mod tidy` from pruning the target.
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "${!#}" > "$work/tools.go"
  ( cd "$work" && go mod tidy >"$work/tidy.log" 2>&1 ) || { cat "$work/tidy.log" >&2; rm -rf "$work"; return 1; }
  ( cd "$work" && go build -o "$out.tmp" "$@" ) || { rm -rf "$work"; return 1; }
  [ -n "${ASSERT_NOT_IN_GRAPH:-}" ] && for m in $ASSERT_NOT_IN_GRAPH; do
    if (cd "$work" && go mod graph | grep -q "$m"); then
      log "refusing: $m is in the module graph"; rm -rf "$work" "$out.tmp"; return 1
    fi
  done
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

ensure_pulumi_cli() {
  local dir="$CACHE_ROOT/pulumi/$PULUMI_VERSION"
  if [ -x "$dir/pulumi" ]; then log "pulumi CLI $PULUMI_VERSION: cached at $dir"; return; fi
  mkdir -p "$dir"
  log "pulumi CLI $PULUMI_VERSION: building from the Go module proxy (8-12 minutes cold)..."
  go_build_in_wrapper "$dir/pulumi" "module pulumiwrapper

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e" \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  log "pulumi CLI: built $dir/pulumi"
}

ensure_language_host() {
  local dir="$CACHE_ROOT/pulumi-language-nodejs/$LANGHOST_SDK_VERSION"
  if [ -x "$dir/pulumi-language-nodejs" ]; then log "node language host ($LANGHOST_SDK_VERSION): cached"; return; fi
  mkdir -p "$dir"
  log "node language host from sdk $LANGHOST_SDK_VERSION: building (2-3 minutes cold)..."
  go_build_in_wrapper "$dir/pulumi-language-nodejs" "module langhostwrapper

go 1.25

require github.com/pulumi/pulumi/sdk/v3 $LANGHOST_SDK_VERSION

replace golang.org/x/text => golang.org/x/text v0.3.6" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  log "node language host: built"
}

ensure_consul() {
  local dir="$CACHE_ROOT/consul/$CONSUL_VERSION"
  if [ -x "$dir/consul" ]; then log "consul $CONSUL_VERSION: cached"; return; fi
  mkdir -p "$dir"
  log "consul $CONSUL_VERSION: building (about 6 minutes cold)..."
  ASSERT_NOT_IN_GRAPH="github.com/hashicorp/consul/envoyextensions github.com/hashicorp/consul/troubleshoot" \
  go_build_in_wrapper "$dir/consul" "module consulwrapper

go 1.25

require (
	github.com/hashicorp/consul $CONSUL_VERSION
	github.com/hashicorp/consul/api v1.18.1
	github.com/hashicorp/consul/sdk v0.13.0
	github.com/hashicorp/consul/proto-public v0.2.1
)

replace launchpad.net/gocheck => github.com/go-check/check v0.0.0-20140225173054-eb6ee6f84d0a" \
    github.com/hashicorp/consul
  log "consul: built"
}

# actionlint lints the GitHub Actions workflow of examples/pipeline. Its module
# has no replace directive, so a plain `go install` builds it (10 to 40 s cold).
ensure_actionlint() {
  local dir="$CACHE_ROOT/actionlint/$ACTIONLINT_VERSION"
  if [ -x "$dir/actionlint" ]; then log "actionlint $ACTIONLINT_VERSION: cached"; return; fi
  mkdir -p "$dir"
  log "actionlint $ACTIONLINT_VERSION: building from the Go module proxy (under a minute cold)..."
  GOBIN="$dir" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2 || return 1
  log "actionlint: built $dir/actionlint"
}
