#!/usr/bin/env bash
# Runs a benchmark script from test/benchmarks/ against fresh benches and prints its figures.
#   bash scripts/benchmark.sh queue
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
npx tsc -p test/tsconfig.bench.json >&2
exec node ".bench/dist/test/benchmarks/${1:?usage: benchmark.sh <name>}.js" "${@:2}"
