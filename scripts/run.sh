#!/usr/bin/env bash
# The run command: installs what is missing, builds the release bundle, and serves
# Grip at http://127.0.0.1:3000 on the embedded SQLite database in ./data/.
# Extra arguments go to `grip` (e.g. `scripts/run.sh migrate`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/setup-tools.sh"
export PATH="$ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/grip"
STAMP="$ROOT/target/site/.grip-build"
# cargo-leptos re-runs wasm-bindgen and wasm-opt even on an unchanged tree (~15 s);
# skip the build when nothing it reads is newer than the last successful build.
if [ ! -x "$BIN" ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$BIN" ] ||
   [ -n "$(find app frontend server style public migrations Cargo.toml Cargo.lock -newer "$STAMP" -print -quit)" ]; then
  "$ROOT/scripts/build.sh"
  echo "$BIN" > "$STAMP"
fi
exec "$BIN" "$@"
