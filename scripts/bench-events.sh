#!/usr/bin/env bash
# The event log's ingest rate, PostgreSQL beside SQLite in the same run
# (part of `make bench-cluster`): the Writer's events/s into
#   - SQLite, synchronous=FULL (the durable default) and NORMAL;
#   - PostgreSQL with fsync and synchronous_commit on (a throw-away server,
#     internal/testsvc), one node and four nodes writing at once;
# on the same event mix (eventstest.Mix), and the ratio to SQLite FULL.
#
#   scripts/bench-events.sh                 3 rounds of 100,000 events each
#   BENCH_EVENTS_ROUNDS=10 scripts/bench-events.sh
#
# The machine should be otherwise idle: both stores are CPU-bound here.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${BENCH_EVENTS_ROUNDS:-3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# SWITCHBOARD_E2E=1: a missing PostgreSQL fails instead of skipping.
SWITCHBOARD_E2E=1 go test -run '^$' -bench '^BenchmarkIngest$' -benchtime "${rounds}x" -count 1 \
  ./events/sqlite ./events/postgres | tee "$out"

awk '
  /^pkg: / { pkg = ($2 ~ /postgres$/) ? "postgres" : "sqlite" }
  /^BenchmarkIngest\// {
    name = $1; sub(/^BenchmarkIngest\//, "", name); sub(/-[0-9]+$/, "", name)
    for (i = 1; i < NF; i++) if ($(i+1) == "events/s") rate = $i
    key = pkg " " name; rates[key] = rate; order[++n] = key
  }
  END {
    base = rates["sqlite FULL"]
    printf "\n%-28s %12s %10s\n", "store", "events/s", "vs SQLite FULL"
    for (i = 1; i <= n; i++) {
      k = order[i]
      printf "%-28s %12.0f %9.2fx\n", k, rates[k], (base > 0 ? rates[k] / base : 0)
    }
  }' "$out"
