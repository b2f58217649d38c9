#!/usr/bin/env bash
# Makes sure the image builders the builder tests drive are installed: Debian's podman, buildah and
# umoci, and Debian's docker CLI at /usr/bin/docker (docker.io), which builds with the engine's
# BuildKit under DOCKER_BUILDKIT=1 where a newer CLI needs buildx (skopeo comes from
# scripts/registry.sh). Installs nothing when all are present; logs to
# stderr; exits 1 loudly when something is missing and cannot be installed.
set -euo pipefail

log() { echo "builders: $*" >&2; }

missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
command -v umoci >/dev/null 2>&1 || missing+=(umoci)
[ -x /usr/bin/docker ] || missing+=(docker.io)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) or run as root"
  log "the builder tests fail without them"
  exit 1
fi
log "installing Debian's ${missing[*]}"
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
for tool in podman buildah umoci /usr/bin/docker; do
  command -v "$tool" >/dev/null 2>&1 || { log "$tool is still missing after apt-get install"; exit 1; }
done
