#!/usr/bin/env bash
# make bench: installs the npm references (Newman, Postman's SDK) into
# bench/node, then measures apiscout side by side with them. Everything runs
# on 127.0.0.1; the table goes to stdout and bench/results/latest.md.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in node npm redis-server redis-benchmark; do
  command -v "$tool" >/dev/null || { echo "make bench: $tool not found" >&2; exit 1; }
done
npm ci --prefix bench/node --no-audit --no-fund --loglevel=error >/dev/null

# The PostgreSQL backend of FerretDB is much faster than SQLite: use it when
# one answers (set APISCOUT_TEST_POSTGRES_URL yourself to choose another).
if [ -z "${APISCOUT_TEST_POSTGRES_URL:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null \
  && command -v psql >/dev/null && psql postgres://postgres@127.0.0.1:5432/test -Atc 'select 1' >/dev/null 2>&1; then
  export APISCOUT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test
fi
mkdir -p bench/results
exec go run ./bench/cmd/apiscout-bench -out bench/results/latest.md -node bench/node "$@"
