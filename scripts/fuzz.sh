#!/usr/bin/env bash
# A short coverage-guided pass over every fuzz target (`make fuzz`). The
# seed corpora under each package's testdata/fuzz run in every `go test`;
# this explores further. FUZZTIME sets the time per target (default 30s).
# New crashers are written to testdata/fuzz/<Target>/ by go test: commit
# them with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
targets=$(grep -rl --include='*_test.go' '^func Fuzz' . | sort)
for f in $targets; do
  pkg=./$(dirname "${f#./}")
  for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    echo "== $pkg $name ($fuzztime)"
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"
  done
done
