#!/usr/bin/env bash
# Makes sure the browser the HTML report's tests drive is installed: Debian's chromium and
# chromium-driver (selenium talks to chromedriver). Installs nothing when both are present; logs
# to stderr; exits 1 loudly when they are missing and cannot be installed, since the browser
# tests fail without them.
set -euo pipefail

log() { echo "browser: $*" >&2; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) or run as root"
  log "the HTML report's browser tests fail without them"
  exit 1
fi
log "installing Debian's ${missing[*]}"
apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2 \
  || { log "apt-get could not install ${missing[*]}"; exit 1; }
for program in chromium chromedriver; do
  command -v "$program" >/dev/null 2>&1 || { log "$program is still missing after the install"; exit 1; }
done
