#!/usr/bin/env bash
# CI: make sure PostgreSQL server binaries (initdb, pg_ctl) exist, so tests/fix/test_verify.py can start a
# throw-away cluster on localhost (tests/fix/pg.py) for the shared Optuna search. Idempotent, no prompts.
# The tests start and stop the server themselves (as the `postgres` user when run as root).
set -euo pipefail
have() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }
if have; then
  echo "ci_postgres: PostgreSQL binaries present: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | head -1)"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ci_postgres: installing postgresql (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null >/dev/null
  apt-get install -y -qq --no-install-recommends postgresql </dev/null >/dev/null
  have && exit 0
fi
echo "ci_postgres: PostgreSQL binaries not found and cannot be installed here; the PostgreSQL test will fail under CI" >&2
exit 1
