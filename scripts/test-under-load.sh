#!/usr/bin/env bash
# The test suite on a busy machine: one busy loop per core (or BUSY=N) pins the CPUs for as long as
# `npm test` runs, then they are stopped. Arguments go to vitest (a file or folder to run only those).
# A test that passes quiet but fails here waits on time instead of on the event it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
busy="${BUSY:-$(nproc)}"
pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop EXIT INT TERM
for _ in $(seq 1 "$busy"); do
  ( while :; do :; done ) &
  pids+=("$!")
done
echo "== ${busy} busy loops pinning the CPUs ($(nproc) cores); npm test $*" >&2
npm test -- "$@"
