#!/usr/bin/env bash
# The test command: installs what is missing (tools, Chromium, a PostgreSQL server),
# then runs every test layer and exits non-zero if any fails:
#   0. rustfmt and clippy (-D warnings) under both ssr and hydrate
#   1. unit tests, and store/server tests on SQLite and on Postgres
#   2. component tests (wasm-bindgen-test) in headless Chromium
#   3. the release build (WASM split per route), with the per-route WASM budgets
#   4. Playwright journeys against the release server: hydrated and without JavaScript
#      on SQLite, and hydrated on Postgres
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/setup-tools.sh" --test || { echo "setup failed"; exit 1; }
export PATH="$ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export GRIP_TEST_POSTGRES_URL="${GRIP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

failed=()
ran=0
layer() {
  local name="$1"; shift
  ran=$((ran + 1))
  local t0=$SECONDS
  printf '\n==> %s\n' "$name"
  if "$@"; then
    printf '==> %s: ok (%ss)\n' "$name" $((SECONDS - t0))
  else
    printf '==> %s: FAILED (%ss)\n' "$name" $((SECONDS - t0))
    failed+=("$name")
  fi
}

lint() {
  cargo fmt --all --check || return 1
  cargo clippy -p app -p server --all-targets -- -D warnings || return 1
  cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings
}

unit_and_store_tests() {
  cargo test -p app -p server
}

component_tests() {
  CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_DRIVER_TIMEOUT=90 \
    cargo test -p app --features hydrate --target wasm32-unknown-unknown --test components --test board_keyboard --test workspace --test portal_forms
}

release_build() {
  "$ROOT/scripts/build.sh" || return 1
  # Per route: the brotli size of each WASM chunk loaded before the page is
  # interactive, from the split manifest; fails over budget.
  node "$ROOT/scripts/wasm-budget.mjs" "$ROOT/target/site"
}

end_to_end() {
  rm -rf "$ROOT/end2end/.data"
  # A fresh Postgres database for the "postgres" project, dropped afterwards.
  local db="grip_e2e_$$_$RANDOM" status
  psql "$GRIP_TEST_POSTGRES_URL" -qc "CREATE DATABASE $db" || return 1
  (cd "$ROOT/end2end" && GRIP_BIN="$TARGET_DIR/release/grip" GRIP_SITE_ROOT="$ROOT/target/site" \
    GRIP_E2E_POSTGRES_URL="${GRIP_TEST_POSTGRES_URL%/*}/$db" npx playwright test)
  status=$?
  psql "$GRIP_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  return $status
}

layer "formatting and clippy (ssr and hydrate)" lint
layer "unit, store and server tests (SQLite and Postgres)" unit_and_store_tests
layer "component tests in Chromium (wasm-bindgen-test)" component_tests
layer "release build and per-route WASM budgets" release_build
if [[ " ${failed[*]} " == *"release build"* ]]; then
  echo "skipping end-to-end tests: no release build"
  failed+=("end-to-end (not run)")
else
  layer "end-to-end journeys in Chromium (Playwright)" end_to_end
fi

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "all test layers passed"
else
  printf 'FAILED layers: %s\n' "${failed[*]}"
fi
printf 'layers: %d passed, %d failed\n' $((ran - ${#failed[@]})) ${#failed[@]}
[ ${#failed[@]} -eq 0 ]
