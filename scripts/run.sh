#!/usr/bin/env bash
# The run command: installs what is missing, builds the release bundle, and serves
# Grip at http://127.0.0.1:3000 on the embedded SQLite database in ./data/.
# Extra arguments go to `grip` (e.g. `scripts/run.sh migrate`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/setup-tools.sh"
export PATH="$ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cargo leptos build --release
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
exec "$TARGET_DIR/release/grip" "$@"
