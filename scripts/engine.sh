#!/usr/bin/env bash
# Makes sure a Docker engine is reachable and prints the DOCKER_HOST to use on stdout.
#   scripts/engine.sh up     reuse a reachable engine, or install Debian's docker.io and start
#                            a dockerd of our own (socket, data root and pid file below)
#   scripts/engine.sh down   stop the dockerd that `up` started for the same owner
# Logs go to stderr so that `export DOCKER_HOST=$(scripts/engine.sh up)` works.
# Ownership: `up` records LAYERSCOPE_ENGINE_OWNER (set by .ci/run) when it starts dockerd, and
# `down` stops it only for that owner, so a CI run never stops an engine someone else started.
set -euo pipefail

OWN_SOCKET=/run/layerscope-docker.sock
OWN_HOST="unix://$OWN_SOCKET"
DATA_ROOT=${LAYERSCOPE_DOCKER_ROOT:-/var/lib/layerscope-docker}
EXEC_ROOT=/run/layerscope-docker
PIDFILE=/run/layerscope-docker.pid
OWNERFILE=/run/layerscope-docker.owner
LOGFILE=/var/log/layerscope-dockerd.log

log() { echo "engine: $*" >&2; }

reachable() {  # $1: DOCKER_HOST value
  DOCKER_HOST="$1" timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

install_engine() {
  if command -v dockerd >/dev/null 2>&1; then return; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "no Docker engine is reachable and dockerd is not installed;"
    log "start one (or set DOCKER_HOST), or run this as root on Debian to install docker.io"
    exit 1
  fi
  log "installing Debian's docker.io"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >&2
}

up() {
  if [ -n "${DOCKER_HOST:-}" ] && reachable "$DOCKER_HOST"; then echo "$DOCKER_HOST"; return; fi
  if reachable "$OWN_HOST"; then echo "$OWN_HOST"; return; fi
  if [ -S /var/run/docker.sock ] && reachable unix:///var/run/docker.sock; then
    echo unix:///var/run/docker.sock; return
  fi
  install_engine
  mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
  log "starting dockerd on $OWN_HOST (data root $DATA_ROOT, log $LOGFILE)"
  echo "${LAYERSCOPE_ENGINE_OWNER:-manual}" > "$OWNERFILE"
  nohup dockerd --host "$OWN_HOST" --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" \
    --pidfile "$PIDFILE" --storage-driver overlay2 >"$LOGFILE" 2>&1 &
  for _ in $(seq 1 60); do
    if reachable "$OWN_HOST"; then echo "$OWN_HOST"; return; fi
    sleep 1
  done
  log "dockerd did not answer within 60 s; the last lines of $LOGFILE:"
  tail -n 20 "$LOGFILE" >&2 || true
  exit 1
}

down() {
  [ -f "$PIDFILE" ] && [ -f "$OWNERFILE" ] || return 0
  if [ "$(cat "$OWNERFILE")" != "${LAYERSCOPE_ENGINE_OWNER:-manual}" ]; then
    log "leaving dockerd running: it was not started by this run"
    return 0
  fi
  rm -f "$OWNERFILE"
  local pid; pid=$(cat "$PIDFILE")
  log "stopping dockerd (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
