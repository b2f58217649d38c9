#!/usr/bin/env bash
# Makes sure the programs the registry tests run are installed: Debian's docker-registry (the
# distribution registry 2.8, started by the tests on loopback ports of their own) and skopeo
# (pushes the sample images to it). Installs nothing when both are present; logs to stderr.
set -euo pipefail

log() { echo "registry: $*" >&2; }

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) or run as root"
  log "the registry tests fail without them"
  exit 1
fi
log "installing Debian's ${missing[*]}"
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
# the package starts a registry of its own on :5000; the tests start theirs on free ports
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
if [ -x /etc/init.d/docker-registry ]; then /etc/init.d/docker-registry stop >/dev/null 2>&1 || true; fi
