#!/usr/bin/env bash
# Builds every sample image that tests, demo and benchmarks use (see sample_images/README.md):
#   layerscope/busybox:base      FROM scratch + Debian's static busybox
#   <name>:latest                the zoo, sample_images/<name>/ (size:latest is the demo image)
#   layerscope/debian:bookworm   a debootstrap minbase root filesystem, `docker import`ed
#   size:v1 .. size:v4           the story, sample_images/story/, built against a local apt
#                                repository and local wheels served on 127.0.0.1 for the build
# Nothing is pulled. Idempotent: base tarball and downloads are cached under .cache/samples/, and
# a tag is rebuilt only when the hash of its inputs differs from the stamp of the image it last
# built (.cache/samples/stamps/). Stamps, not labels: `docker build --label` appends a LABEL step
# to the image history, which would change the very histories layerscope is tested against.
#
# Usage: scripts/build-samples.sh [all|zoo|story]   (default all; `make samples` builds all)
# Environment: DOCKER_HOST (the Makefile exports it), DEBIAN_MIRROR (default: the mirror apt on
# this machine uses), SAMPLES_PORT (default 8765; another free port is taken if it is busy),
# SAMPLES_FORCE=1 (rebuild everything, keep the downloads).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SAMPLES="$ROOT/sample_images"
CACHE="$ROOT/.cache/samples"
STAMPS="$CACHE/stamps"
LOGS="$CACHE/logs"
REPO="$CACHE/repo"                       # served over HTTP during the story build: apt/, wheels/
BASE_TAR="$CACHE/debian-bookworm-minbase.tar"
BUSYBOX_TAG=layerscope/busybox:base
DEBIAN_TAG=layerscope/debian:bookworm
ZOO=(size chmod overwrite opaque caches multistage links deep)
STORY=(v1 v2 v3 v4)
SUITE=bookworm
IMAGE_PYTHON=3.11                         # bookworm's python3
export DOCKER_BUILDKIT=0                  # the classic builder: --network host, stable histories

T0=$SECONDS
say() { printf 'samples: %s\n' "$*" >&2; }
die() { printf 'samples: error: %s\n' "$*" >&2; exit 1; }
on_error() { printf 'samples: error: failed at line %s: %s\n' "$1" "$2" >&2; }
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR

# Runs a command with its output in a log file; on failure shows the end of the log.
run_logged() {  # $1: log name, rest: command
  local log="$LOGS/$1.log"; shift
  if ! "$@" >"$log" 2>&1; then
    printf 'samples: error: %s failed; last lines of %s:\n' "$*" "$log" >&2
    tail -n 25 "$log" | sed 's/^/  | /' >&2
    return 1
  fi
}

sha() { sha256sum | cut -c1-64; }

# Content hash of a directory: names, modes and contents (not times or owners).
dir_hash() {  # $1: directory
  tar -C "$1" -c --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner . | sha
}

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

# True when TAG exists and is the image this script last built from inputs hashing to HASH.
up_to_date() {  # $1: tag, $2: hash
  [ "${SAMPLES_FORCE:-0}" = 1 ] && return 1
  local stamp="$STAMPS/${1//[\/:]/_}" id
  [ -f "$stamp" ] || return 1
  id=$(image_id "$1")
  [ -n "$id" ] && [ "$(cat "$stamp")" = "$2 $id" ]
}

# Records what TAG was built from; the image this script had built before under TAG, if now
# untagged, is removed (only that one: other dangling images are not ours to prune).
stamp() {  # $1: tag, $2: hash
  local file="$STAMPS/${1//[\/:]/_}" old new
  old=$(cut -d' ' -f2 "$file" 2>/dev/null || true)
  new=$(image_id "$1")
  echo "$2 $new" >"$file"
  if [ -n "$old" ] && [ "$old" != "$new" ] &&
     [ "$(docker image inspect -f '{{len .RepoTags}}' "$old" 2>/dev/null)" = 0 ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
}

# ---------------------------------------------------------------------------------------------
# Tools. A fresh CI machine (Debian 12, root) has none of them; install what is missing.

ensure_tools() {
  command -v docker >/dev/null || die "docker CLI not found (run scripts/engine.sh up first)"
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
    die "no Docker engine at DOCKER_HOST=${DOCKER_HOST:-<unset>}; run: export DOCKER_HOST=\$(scripts/engine.sh up)"
  local missing=()
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
  command -v dpkg-scanpackages >/dev/null || missing+=(dpkg-dev)
  [ ${#missing[@]} = 0 ] && return
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
    die "missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) or run as root"
  say "installing ${missing[*]}"
  run_logged apt-install bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing[*]}"
}

# ---------------------------------------------------------------------------------------------
# layerscope/busybox:base

build_busybox_base() {
  local ctx="$CACHE/busybox-context" hash
  hash=$( (cat "$SAMPLES/base/busybox/Dockerfile" /bin/busybox) | sha)
  if up_to_date "$BUSYBOX_TAG" "$hash"; then say "$BUSYBOX_TAG up to date"; return; fi
  say "building $BUSYBOX_TAG"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$SAMPLES/base/busybox/Dockerfile" "$ctx/Dockerfile"
  cp /bin/busybox "$ctx/busybox"
  run_logged busybox-base docker build -t "$BUSYBOX_TAG" "$ctx"
  stamp "$BUSYBOX_TAG" "$hash"
}

# ---------------------------------------------------------------------------------------------
# The zoo

# sample_images/size/my_requirements/wheels/ is generated here (deterministic bytes, not
# committed) so that the repository stays small while `size` still COPYs a real directory.
generate_size_context() {
  local dir="$SAMPLES/size/my_requirements/wheels"
  mkdir -p "$dir"
  python3 - "$dir" <<'EOF'
import os, random, sys
wheels = {"acme_core-2.4.1-py3-none-any.whl": 120_000,
          "acme_http-1.9.0-py3-none-any.whl": 90_000,
          "acme_utils-0.7.3-py3-none-any.whl": 60_000}
for name, size in wheels.items():
    path = os.path.join(sys.argv[1], name)
    data = random.Random(name).randbytes(size)
    if not os.path.exists(path) or open(path, "rb").read() != data:
        with open(path, "wb") as f:
            f.write(data)
EOF
}

build_zoo() {
  local base_id name hash
  base_id=$(image_id "$BUSYBOX_TAG")
  generate_size_context
  for name in "${ZOO[@]}"; do
    [ -f "$SAMPLES/$name/Dockerfile" ] || die "missing $SAMPLES/$name/Dockerfile"
    hash=$( (dir_hash "$SAMPLES/$name"; echo "$base_id") | sha)
    if up_to_date "$name:latest" "$hash"; then say "$name:latest up to date"; continue; fi
    say "building $name:latest"
    run_logged "zoo-$name" docker build -t "$name:latest" "$SAMPLES/$name"
    stamp "$name:latest" "$hash"
  done
}

# ---------------------------------------------------------------------------------------------
# The story: Debian base, local package repository, four builds

debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(apt-get indextargets --format '$(URI)' 2>/dev/null | grep -m1 '/dists/' || true)
  if [ -n "$uri" ]; then echo "${uri%%/dists/*}"; else echo http://deb.debian.org/debian; fi
}

# Debootstraps a minbase root filesystem once and caches it as a tarball, cleaned the way
# official Debian images are (no apt lists, no .debs, no /dev nodes) plus their apt settings.
make_base_tarball() {
  [ -f "$BASE_TAR" ] && [ -f "$BASE_TAR.sha256" ] && return
  local mirror work="$CACHE/work/debootstrap"
  mirror=$(debian_mirror)
  say "debootstrap --variant=minbase $SUITE from $mirror (about 30 s)"
  rm -rf "$work" && mkdir -p "$work"
  run_logged debootstrap debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$mirror"
  local r="$work/rootfs"
  cp "$SAMPLES"/base/debian/apt.conf.d/* "$r/etc/apt/apt.conf.d/"
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/log/bootstrap.log
  find "$r/var/cache/apt/archives" -name '*.deb' -delete
  mkdir -p "$r/var/lib/apt/lists/partial"
  rm -f "$r/etc/resolv.conf"
  tar -C "$r" --numeric-owner --sort=name --exclude='./dev/*' -cf "$BASE_TAR.tmp" .
  sha256sum <"$BASE_TAR.tmp" | cut -c1-64 >"$BASE_TAR.sha256.tmp"
  mv "$BASE_TAR.tmp" "$BASE_TAR" && mv "$BASE_TAR.sha256.tmp" "$BASE_TAR.sha256"
  rm -rf "$work"
}

import_debian_base() {
  local hash
  hash=$(cat "$BASE_TAR.sha256")
  if up_to_date "$DEBIAN_TAG" "$hash"; then say "$DEBIAN_TAG up to date"; return; fi
  say "importing $DEBIAN_TAG"
  run_logged debian-import docker import --change 'CMD ["bash"]' "$BASE_TAR" "$DEBIAN_TAG"
  stamp "$DEBIAN_TAG" "$hash"
}

# A flat apt repository holding curl and python3-pip with everything they pull in (Recommends
# included) that the base lacks: resolved and downloaded in a throwaway chroot of the base.
make_apt_repo() {
  [ -f "$REPO/apt/.complete" ] && return
  local mirror work="$CACHE/work/chroot" r
  mirror=$(debian_mirror)
  say "downloading curl and python3-pip .debs from $mirror into a flat repository"
  rm -rf "$work" "$REPO/apt" && mkdir -p "$work/rootfs" "$REPO/apt"
  r="$work/rootfs"
  tar -C "$r" -xf "$BASE_TAR"
  mknod -m 666 "$r/dev/null" c 1 3
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  echo "deb $mirror $SUITE main" >"$r/etc/apt/sources.list"
  run_logged apt-download chroot "$r" /bin/sh -c \
    'apt-get update && apt-get install -y --download-only curl python3-pip'
  find "$r/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp {} "$REPO/apt/" \;
  (cd "$REPO/apt" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>"$LOGS/scanpackages.log")
  [ -s "$REPO/apt/Packages" ] || die "dpkg-scanpackages wrote an empty index (see $LOGS/scanpackages.log)"
  say "flat repository: $(ls "$REPO/apt" | grep -c '\.deb$') packages"
  rm -rf "$work"
  touch "$REPO/apt/.complete"
}

make_wheels() {
  [ -f "$REPO/wheels/.complete" ] && return
  local py="$ROOT/.venv/bin/python"
  [ -x "$py" ] || py=python3
  say "pip download requests for python $IMAGE_PYTHON"
  rm -rf "$REPO/wheels" && mkdir -p "$REPO/wheels"
  run_logged pip-download "$py" -m pip download --disable-pip-version-check --only-binary=:all: \
    --python-version "$IMAGE_PYTHON" -d "$REPO/wheels" requests
  touch "$REPO/wheels/.complete"
}

SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT

port_free() {
  python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" \
    2>/dev/null
}

start_server() {
  local port=${SAMPLES_PORT:-8765}
  if ! port_free "$port"; then
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  fi
  python3 -m http.server --bind 127.0.0.1 --directory "$REPO" "$port" >"$LOGS/http.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      REPO_URL="http://127.0.0.1:$port"
      say "serving $REPO at $REPO_URL (pid $SERVER_PID)"
      return
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  die "the package server did not start on 127.0.0.1:$port (see $LOGS/http.log)"
}

build_story() {
  local inputs hash v todo=()
  inputs=$( (dir_hash "$SAMPLES/story"; image_id "$DEBIAN_TAG"; cat "$REPO/apt/Packages";
             ls "$REPO/wheels") | sha)
  for v in "${STORY[@]}"; do
    [ -f "$SAMPLES/story/Dockerfile.$v" ] || die "missing $SAMPLES/story/Dockerfile.$v"
    hash=$( (echo "$inputs"; echo "$v") | sha)
    if up_to_date "size:$v" "$hash"; then say "size:$v up to date"; else todo+=("$v"); fi
  done
  [ ${#todo[@]} = 0 ] && return
  start_server
  for v in "${todo[@]}"; do
    say "building size:$v"
    hash=$( (echo "$inputs"; echo "$v") | sha)
    run_logged "story-$v" docker build --network host \
      --build-arg "BASE_IMAGE=$DEBIAN_TAG" --build-arg "REPO_URL=$REPO_URL" \
      -f "$SAMPLES/story/Dockerfile.$v" -t "size:$v" "$SAMPLES/story"
    stamp "size:$v" "$hash"
  done
  stop_server
}

# ---------------------------------------------------------------------------------------------

main() {
  local what=${1:-all}
  case "$what" in all|zoo|story) ;; *) die "usage: $0 [all|zoo|story]" ;; esac
  mkdir -p "$CACHE" "$STAMPS" "$LOGS"
  ensure_tools
  if [ "$what" != story ]; then
    build_busybox_base
    build_zoo
  fi
  if [ "$what" != zoo ]; then
    make_base_tarball
    import_debian_base
    make_apt_repo
    make_wheels
    build_story
  fi
  say "$what done in $((SECONDS - T0)) s"
}

main "$@"
