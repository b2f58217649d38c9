#!/usr/bin/env bash
# Makes sure the programs the registry tests run are installed: Debian's docker-registry (the
# distribution registry 2.8, started by the tests on loopback ports of their own), skopeo (pushes
# the sample images to it), htpasswd and openssl (the Basic-auth and TLS instances).
set -euo pipefail

if command -v docker-registry >/dev/null 2>&1; then fresh=; else fresh=1; fi
"$(dirname "$0")/need.sh" "the registry tests" docker-registry:docker-registry skopeo:skopeo \
  htpasswd:apache2-utils openssl:openssl
[ -n "$fresh" ] || exit 0
# the package starts a registry of its own on :5000; the tests start theirs on free ports
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
if [ -x /etc/init.d/docker-registry ]; then /etc/init.d/docker-registry stop >/dev/null 2>&1 || true; fi
