#!/usr/bin/env bash
# The "wire" project's server: a fresh database filled with the demo workspace
# (grip seed --demo) and an admin the byte-budget journey signs in as, then serves.
# GRIP_BIN names the binary; GRIP_LISTEN, GRIP_DATA_DIR and the rest come from the
# environment Playwright gives it.
set -euo pipefail
BIN="${GRIP_BIN:-../target/release/grip}"
rm -rf "$GRIP_DATA_DIR"
"$BIN" migrate >/dev/null
echo "budget admin password" | "$BIN" create-admin --email budget@example.com --name "Budget Admin" >/dev/null
"$BIN" seed --demo >/dev/null
exec "$BIN" serve
