#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: set-up first (idempotent),
# then jest against the real bench. Extra arguments go to jest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
log "running the test suite (jest)"
exec npx jest --ci "$@"
