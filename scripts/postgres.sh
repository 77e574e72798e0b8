#!/usr/bin/env bash
# Make PostgreSQL server binaries available for the tests (tests/schedule/conftest.py starts a
# throwaway cluster in a temp dir; nothing here starts a server or touches a system cluster).
# Installs Debian's `postgresql` package when `initdb` is neither on PATH nor in
# /usr/lib/postgresql/*/bin. Safe to run again; quiet when there is nothing to do.
set -euo pipefail

find_initdb() {
  if command -v initdb >/dev/null 2>&1; then command -v initdb; return 0; fi
  local found
  found=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ]; then echo "$found"; return 0; fi
  return 1
}

if initdb_path=$(find_initdb); then
  echo "postgres: using $initdb_path"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "postgres: initdb not found and not root; install the 'postgresql' package (apt-get install -y postgresql)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "postgres: initdb not found and apt-get is unavailable; install PostgreSQL server binaries" >&2
  exit 1
fi

echo "postgres: installing Debian's postgresql package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d 101 keeps the package from starting a system cluster inside containers.
had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
if [ "$had_policy" -eq 0 ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
if [ "$had_policy" -eq 0 ]; then rm -f /usr/sbin/policy-rc.d; fi

if initdb_path=$(find_initdb); then
  echo "postgres: installed, $initdb_path"
else
  echo "postgres: installation finished but initdb is still missing" >&2
  exit 1
fi
