#!/usr/bin/env bash
# Installs whatever Grip's build (and, with --test, its tests) needs and is missing.
# Idempotent: a second run checks and returns in seconds. Everything comes from the
# package registries (crates.io, npm, Debian); nothing else is downloaded.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WITH_TESTS=0
[ "${1:-}" = "--test" ] && WITH_TESTS=1
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=0
apt_install() {
  if [ $apt_updated -eq 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# The wasm-bindgen version the lock file pins; the CLI must match it exactly.
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock")"

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  step "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi
if ! cargo leptos --version 2>/dev/null | grep -q '0.3.10'; then
  step "installing cargo-leptos 0.3.10 (about 13 minutes, once)"
  cargo install cargo-leptos --version 0.3.10 --locked
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WB_VERSION"; then
  step "installing wasm-bindgen-cli $WB_VERSION (about 2 minutes, once)"
  # Not --locked: its lock file names a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  step "installing Node.js"
  apt_install nodejs npm
fi
if [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] || [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ]; then
  step "installing npm packages (binaryen's wasm-opt, Playwright without a browser)"
  (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

if [ $WITH_TESTS -eq 1 ]; then
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    step "installing Chromium and chromedriver from Debian"
    apt_install chromium chromium-driver
  fi
  if ! command -v brotli >/dev/null; then
    step "installing brotli (to measure the compressed WASM)"
    apt_install brotli
  fi
  "$ROOT/scripts/ensure-postgres.sh"
fi
