#!/bin/sh
# make demo: the emulated pair failing over with a live session (needs root: network namespaces).
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "make demo needs root (it creates network namespaces)" >&2; exit 1; }
exec node scripts/run-ts.mjs test/e2e/demo.ts
