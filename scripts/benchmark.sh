#!/usr/bin/env bash
# Runs a benchmark script from test/benchmarks/ against fresh benches and prints its figures.
#   bash scripts/benchmark.sh queue | map-10k [v2|v3] | consul-latency
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
exec node test/support/run-ts.js "test/benchmarks/${1:?usage: benchmark.sh <queue|map-10k|...>}.ts" "${@:2}"
