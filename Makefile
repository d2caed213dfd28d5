# Switchboard's build and test entry points. `make test` is what CI runs: it
# installs the Debian packages the end-to-end tests need (real SIP user
# agents, Chromium, a real Asterisk when ../shared/asterisk is present) and
# then runs every test, unit and end-to-end, with the race detector.
GO ?= go
TEST_TIMEOUT ?= 14m

.PHONY: test deps unit vet fuzz bench prompts build test-cluster bench-cluster bench-events

test: deps vet
	SWITCHBOARD_E2E=1 $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

# Unit tests only: no packages installed, no real peers.
unit:
	$(GO) test -count=1 ./...

deps:
	./scripts/install-deps.sh

vet:
	$(GO) vet ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

build:
	$(GO) build -o bin/switchboard ./cmd/switchboard

# A short fuzzing pass over every fuzz target (the corpora are committed).
fuzz:
	./scripts/fuzz.sh

bench: deps build
	./scripts/bench.sh

# The cluster (docs/cluster.md): throw-away redis-server and Kamailio on free
# loopback ports, the deploy/kamailio config's dispatching and failover, the
# Redis reservations raced by several nodes, three ACDs sharing agents with
# one killed, serve --cluster, three serve processes behind Kamailio with
# one killed by SIGKILL, and the same with PostgreSQL, agents' phones
# registered at Kamailio and randomized callers (TestClusterAgentsAcrossNodes).
# Also part of `make test`.
test-cluster: deps
	SWITCHBOARD_E2E=1 $(GO) test -race -count=1 -timeout 5m ./internal/testsvc/ ./routing/redisstate/
	SWITCHBOARD_E2E=1 $(GO) test -race -count=1 -timeout 5m -run 'Cluster|Claims' ./cmd/switchboard/ ./routing/

# Routing decisions/s, p99 and Redis round trips per decision: one node
# alone beside three nodes sharing agents through Redis.
bench-cluster: deps
	SWITCHBOARD_E2E=1 $(GO) test -run '^$$' -bench BenchmarkDecisions -benchtime 6000x -count 3 ./routing/redisstate/

# The event log's ingest rate: PostgreSQL (COPY, fsync on; one node and
# four) beside SQLite on the same event mix, with the ratio.
bench-events: deps
	./scripts/bench-events.sh

# The cluster benchmark includes the event log's.
bench-cluster: bench-events

prompts:
	./scripts/gen-prompts.sh
