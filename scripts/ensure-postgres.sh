#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at GRIP_TEST_POSTGRES_URL for the tests:
# uses a running one, starts an installed one, or installs Debian's and starts it.
# Also makes sure PostgreSQL's server programs are installed (the outage test runs its own).
set -euo pipefail
URL="${GRIP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

answers() { command -v psql >/dev/null && psql "$URL" -Atqc 'select 1' >/dev/null 2>&1; }

# The outage test starts a server of its own (initdb, pg_ctl): the programs must be
# installed even when a server answers elsewhere.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "==> installing PostgreSQL's server programs (for the outage test)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
if answers; then exit 0; fi
echo "==> no PostgreSQL answers at ${URL%%@*}@…; starting one"
if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
VER="$(ls /etc/postgresql | sort -n | tail -1)"
$SUDO pg_ctlcluster --skip-systemctl-redirect "$VER" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
if ! answers; then
  # A fresh Debian cluster asks for a password over TCP; the tests connect as the
  # superuser without one, so allow trust for loopback connections only.
  HBA="/etc/postgresql/$VER/main/pg_hba.conf"
  $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$HBA"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$VER" main reload
  sleep 1
fi
answers || { echo "PostgreSQL still does not answer at $URL" >&2; exit 1; }
