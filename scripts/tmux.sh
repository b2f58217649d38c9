#!/usr/bin/env bash
# Makes sure tmux is installed: the explorer's end-to-end test (tests/explore/test_terminal.py)
# runs `layerscope explore` in a real terminal, a detached tmux session, and reads its screen.
# Installs nothing when tmux is present; logs to stderr.
set -euo pipefail

log() { echo "tmux: $*" >&2; }

command -v tmux >/dev/null 2>&1 && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "missing tmux; install it (Debian: apt-get install tmux) or run as root"
  log "the explorer's terminal test fails without it"
  exit 1
fi
log "installing Debian's tmux"
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tmux >&2
command -v tmux >/dev/null 2>&1 || { log "tmux is still missing after apt-get install"; exit 1; }
