#!/usr/bin/env bash
# Test dependencies beyond npm packages: Debian's PostgreSQL server binaries (initdb, pg_ctl,
# postgres under /usr/lib/postgresql/N/bin) and the unprivileged `postgres` user the tests run
# the server as when they run as root. The tests start their own throwaway server on a free port
# (test/support/postgres-server.ts); this installs no cluster and starts no service.
# And the `age` command-line tool (age, age-keygen): the age interop tests run it both ways.
# Idempotent (skips what is present), no prompts, no TTY needed. Run as root (CI) or with sudo.
set -euo pipefail

have_binaries() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && return 0
  done
  return 1
}

have_age() { command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1; }

need_pg=1
need_age=1
if have_binaries && id -u postgres >/dev/null 2>&1; then
  echo "install-test-deps: postgresql server binaries present ($(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' '))"
  need_pg=0
fi
if have_age; then
  echo "install-test-deps: age present ($(age --version))"
  need_age=0
fi
[ "$need_pg" = 0 ] && [ "$need_age" = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-test-deps: PostgreSQL server binaries or age are missing; run as root: sudo bash scripts/install-test-deps.sh" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o Acquire::Retries=3 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; }
apt_get update -qq
if [ "$need_age" = 1 ]; then
  apt_get install -y -qq --no-install-recommends age >/dev/null
  have_age || { echo "install-test-deps: age installed but age/age-keygen not on PATH" >&2; exit 1; }
  echo "install-test-deps: age installed ($(age --version))"
fi
[ "$need_pg" = 0 ] && exit 0
# postgresql-common first, told not to create (and start) a "main" cluster on 5432: the tests make their own.
apt_get install -y -qq --no-install-recommends postgresql-common >/dev/null
sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
# `postgresql` is Debian's default server version (bookworm: postgresql-15); it creates the postgres user.
apt_get install -y -qq --no-install-recommends postgresql >/dev/null
have_binaries || { echo "install-test-deps: postgresql installed but no initdb/pg_ctl under /usr/lib/postgresql/*/bin" >&2; exit 1; }
echo "install-test-deps: postgresql server binaries installed ($(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' '))"
