#!/usr/bin/env bash
# scripts/need.sh WHAT PROGRAM:PACKAGE...: makes sure each PROGRAM (a name on PATH or an absolute
# path) is there, installing the missing ones' Debian PACKAGEs with apt-get (from the mirror the
# machine's apt configuration names). WHAT says who needs them, for the messages. Installs
# nothing when all are present; logs to stderr; exits 1 loudly when one is missing and cannot be
# installed (not root, no apt-get, or the install failed), since the tests that need it would fail.
# The one install step of registry.sh, builders.sh and browser.sh.
set -euo pipefail

what=$1
shift
log() { echo "need: $*" >&2; }

missing=()
for pair in "$@"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) or run as root"
  log "$what fail without them"
  exit 1
fi
log "installing Debian's ${missing[*]} for $what"
apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  --no-install-recommends "${missing[@]}" >&2 \
  || { log "apt-get could not install ${missing[*]}"; exit 1; }
for pair in "$@"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 \
    || { log "${pair%%:*} is still missing after the install"; exit 1; }
done
