#!/usr/bin/env bash
# Installs Debian packages (as root), the one way every script does it: waits for another
# apt/dpkg run to finish instead of failing on its lock (CI and set-up scripts may install
# at the same time), and with --no-start keeps the packages' daemons from starting (the
# stack runs its own nginx; Debian's would take port 80).
#   scripts/apt-install.sh [--no-start] PACKAGE...
set -euo pipefail

no_start=
if [ "${1:-}" = "--no-start" ]; then no_start=1; shift; fi
[ "$#" -gt 0 ] || { echo "usage: $0 [--no-start] PACKAGE..." >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
    echo "apt-install: $* is missing; install it as root: apt-get install $*" >&2
    exit 1
fi

LOCK_WAIT=(-o DPkg::Lock::Timeout=900)
policy=/usr/sbin/policy-rc.d
own_policy=
if [ -n "$no_start" ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
fi
cleanup() { if [ -n "$own_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

# apt-get update takes the lists lock, which DPkg::Lock::Timeout does not cover: retry it.
for attempt in $(seq 1 60); do
    apt-get "${LOCK_WAIT[@]}" update -qq && break
    [ "$attempt" -lt 60 ] || exit 1
    sleep 5
done
DEBIAN_FRONTEND=noninteractive apt-get "${LOCK_WAIT[@]}" install -y -qq --no-install-recommends "$@" \
    >/dev/null
