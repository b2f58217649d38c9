#!/usr/bin/env bash
# Makes sure the image builders the builder tests drive are installed: Debian's podman, buildah and
# umoci, and Debian's docker CLI at /usr/bin/docker (docker.io), which builds with the engine's
# BuildKit under DOCKER_BUILDKIT=1 where a newer CLI needs buildx (skopeo comes from
# scripts/registry.sh).
exec "$(dirname "$0")/need.sh" "the builder tests" \
  podman:podman buildah:buildah umoci:umoci /usr/bin/docker:docker.io
