#!/usr/bin/env bash
# The release build: the `grip` server and the browser bundle, its WASM split per
# route (lazy routes), every file in pkg/ named by its content hash and stored beside
# its brotli and gzip copies, which the server sends as they are.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
exec cargo leptos build --release --split --precompress "$@"
