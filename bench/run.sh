#!/usr/bin/env bash
# The benchmark of issue #3, over real HTTP against the release server on seeded
# data. Measures; never asserts. Usage:
#   bench/run.sh sqlite|postgres [TICKETS] [OPEN]      (defaults: 1000000 5000)
# BENCH_ONLY=portal, wrk, soak, search, writes or customers measures only that part; BENCH_BIN names another grip binary
# (to compare two builds on the same script); BENCH_WITHOUT_INDEX=1 drops the search
# index's triggers first (writes without index upkeep); BENCH_WRK_SECONDS sets each wrk run's length.
# Needs a release build (scripts/run.sh or scripts/build.sh); for
# postgres, a server at GRIP_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BACKEND="${1:-sqlite}"
TICKETS="${2:-1000000}"
OPEN="${3:-5000}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="${BENCH_BIN:-$TARGET_DIR/release/grip}"
[ -x "$BIN" ] || { echo "no release build at $BIN: run scripts/build.sh first" >&2; exit 1; }
PORT="${BENCH_PORT:-3399}"
WORK="$(mktemp -d /tmp/grip-bench.XXXXXX)"
PG_ADMIN="${GRIP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB_NAME="grip_bench_$$"
export GRIP_DATA_DIR="$WORK" GRIP_LISTEN="127.0.0.1:$PORT" GRIP_LOG_LEVEL=warn GRIP_SITE_ROOT="$ROOT/target/site"
if [ "$BACKEND" = postgres ]; then
  psql "$PG_ADMIN" -qc "CREATE DATABASE $DB_NAME"
  export GRIP_DATABASE_URL="${PG_ADMIN%/*}/$DB_NAME"
else
  export GRIP_DATABASE_URL=""
fi
cleanup() {
  [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ "$BACKEND" = postgres ] && psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== $BACKEND: seeding $TICKETS tickets ($OPEN open on one board)"
"$BIN" migrate >/dev/null
echo "bench password is long enough" | "$BIN" create-admin --email bench@example.com --name "Bench Admin" >/dev/null
# BENCH_CUSTOMERS and BENCH_MESSAGES (per ticket) pass --customers and --messages to
# the seed (builds before issue 16 have neither: leave them unset for those).
SEED_EXTRA=()
[ -n "${BENCH_CUSTOMERS:-}" ] && SEED_EXTRA+=(--customers "$BENCH_CUSTOMERS")
[ -n "${BENCH_MESSAGES:-}" ] && SEED_EXTRA+=(--messages "$BENCH_MESSAGES")
# BENCH_SQLITE_FROM=DIR: start from a copy of DIR/grip.db and DIR/seed.out (a database
# seeded before and kept) instead of seeding again (SQLite: 28 minutes at 1,000,000
# tickets with 3 messages each).
if [ -n "${BENCH_SQLITE_FROM:-}" ] && [ "$BACKEND" = sqlite ]; then
  # The fresh database's write-ahead log must not be read as the copy's.
  rm -f "$WORK/grip.db" "$WORK/grip.db-wal" "$WORK/grip.db-shm"
  cp "$BENCH_SQLITE_FROM/grip.db" "$WORK/grip.db"
  cp "$BENCH_SQLITE_FROM/seed.out" "$WORK/seed.out"
  "$BIN" migrate >/dev/null
else
  "$BIN" seed --tickets "$TICKETS" --open "$OPEN" --company 10000 "${SEED_EXTRA[@]}" | tee "$WORK/seed.out"
fi
MANAGER="$(awk '/portal manager of Bench Company/ {print $6; exit}' "$WORK/seed.out")"
MANAGER_PASSWORD="$(awk '/portal manager of Bench Company/ {print $8; exit}' "$WORK/seed.out")"
# BENCH_WITHOUT_INDEX=1: the search index's triggers dropped after seeding (bench/sql/),
# to measure the writes with and without index upkeep on one binary and one script.
if [ "${BENCH_WITHOUT_INDEX:-}" = 1 ]; then
  if [ "$BACKEND" = postgres ]; then
    psql "$GRIP_DATABASE_URL" -q -v ON_ERROR_STOP=1 -f "$ROOT/bench/sql/without-search-index.postgres.sql"
  else
    sqlite3 "$WORK/grip.db" < "$ROOT/bench/sql/without-search-index.sqlite.sql"
  fi
  echo "(search index triggers dropped: writes without index upkeep)"
fi
"$BIN" serve &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
# BENCH_ONLY=soak: mixed traffic from 16 clients for BENCH_SOAK_MINUTES (default 10),
# with errors, p95 per kind and the server's memory each minute (bench/soak.mjs).
if [ "${BENCH_ONLY:-}" = soak ]; then
  node "$ROOT/bench/soak.mjs" "http://127.0.0.1:$PORT" "$BACKEND" "$SERVER" "${BENCH_SOAK_MINUTES:-10}" "$MANAGER" "$MANAGER_PASSWORD"
  exit 0
fi
# BENCH_ONLY=search measures search and the writes that keep its index (bench/search.mjs);
# BENCH_ONLY=writes only those writes (for a build without search, to compare).
if [ "${BENCH_ONLY:-}" = search ] || [ "${BENCH_ONLY:-}" = writes ]; then
  node "$ROOT/bench/search.mjs" "http://127.0.0.1:$PORT" "$([ "$BENCH_ONLY" = writes ] && echo writes-only)"
  exit 0
fi
# BENCH_ONLY=customers measures a customer's page and the customer list (bench/customers.mjs)
# for customer BENCH_CUSTOMER (default 1, the first the seed makes: it has TICKETS /
# BENCH_CUSTOMERS tickets).
if [ "${BENCH_ONLY:-}" = customers ]; then
  node "$ROOT/bench/customers.mjs" "http://127.0.0.1:$PORT" "${BENCH_CUSTOMER:-1}"
  exit 0
fi
# BENCH_ONLY=portal measures the portal alone.
if [ "${BENCH_ONLY:-}" = portal ]; then
  node "$ROOT/bench/portal.mjs" "http://127.0.0.1:$PORT" "$BACKEND" "$MANAGER" "$MANAGER_PASSWORD"
  exit 0
fi
node "$ROOT/bench/http.mjs" "http://127.0.0.1:$PORT" "$BACKEND" "$WORK"
# Bytes on the wire for the board, first and repeat visit, in Chromium (when installed).
if [ "${BENCH_ONLY:-}" != wrk ] && [ -x /usr/bin/chromium ]; then
  node "$ROOT/bench/wire.mjs" "http://127.0.0.1:$PORT" bench@example.com "bench password is long enough"
fi
# BENCH_ONLY=wrk measures only from wrk (moves, list pages, creations).
[ "${BENCH_ONLY:-}" = wrk ] || node "$ROOT/bench/portal.mjs" "http://127.0.0.1:$PORT" "$BACKEND" "$MANAGER" "$MANAGER_PASSWORD"
# The same moves, list pages and creations from wrk (a C load generator, lighter on the shared
# cores than node), when it is installed (Debian package wrk).
if command -v wrk >/dev/null; then
  for kind in move list list-deep create; do
    BENCH_KIND=$kind BENCH_DIR="$WORK" wrk -t2 -c16 -d"${BENCH_WRK_SECONDS:-15}"s -s "${BENCH_WRK_SCRIPT:-$ROOT/bench/wrk.lua}" "http://127.0.0.1:$PORT" | grep '^wrk '
  done
else
  echo "(wrk not installed: apt-get install wrk for the C load generator's figures)"
fi
