#!/usr/bin/env bash
# What the test suite needs beyond npm packages: Debian's PostgreSQL server binaries (initdb,
# pg_ctl), which the tests start themselves on a free port. Idempotent; no prompts.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "postgresql server binaries: present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "postgresql server binaries are missing: run this script as root (apt-get install -y postgresql)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# The package starts a cluster of its own; the tests do not use it.
(command -v pg_ctlcluster >/dev/null && pg_lsclusters -h 2>/dev/null | while read -r ver name _; do pg_ctlcluster "$ver" "$name" stop || true; done) || true
echo "postgresql server binaries: installed"
