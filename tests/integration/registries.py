"""Real registries for the registry tests: Debian's docker-registry (distribution 2.8) started
on free loopback ports as processes, a certificate made here with openssl, an htpasswd file,
a small token issuer that signs JWTs with a key made here, and skopeo pushing the engine's
sample images to them.

A process rather than a compose service under pytest-docker: this machine's Debian has no
docker-compose installed by the project, and an image built FROM scratch around the Debian
binary would still have to publish a port per instance and be rebuilt per run; the process is
the same binary with the same config file, started in a tenth of a second."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

USER, PASSWORD = "tester", "s3cret-Pa55"
SERVICE, ISSUER = "layerscope-test-registry", "layerscope-test-issuer"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        # no suite is skipped by default: a missing component fails make test loudly
        pytest.fail(f"{', '.join(missing)} not installed (scripts/registry.sh installs them; "
                    "make test runs it)")


class Registry:
    """One docker-registry process on 127.0.0.1:PORT with the given auth/tls config."""

    def __init__(self, root: Path, extra: str = "", scheme: str = "http") -> None:
        need("docker-registry")
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.scheme = scheme
        root.mkdir(parents=True, exist_ok=True)
        config = root / "config.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
            f"http:\n  addr: {self.host}\n{extra}")
        self._log = open(root / "registry.log", "wb")
        self.process = subprocess.Popen(["docker-registry", "serve", str(config)],
                                        stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"docker-registry did not start: {(root / 'registry.log').read_text()}")

    def ref(self, name: str) -> str:
        return f"docker://{self.host}/{name}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def push(image: str, registry: Registry, name: str, form: str = "gzip",
         extra: tuple[str, ...] = ()) -> None:
    """skopeo copy of an engine image to the registry, its layers in `form` (gzip, zstd or
    none: uncompressed)."""
    need("skopeo")
    flags = {"gzip": (), "zstd": ("--dest-compress", "--dest-compress-format", "zstd"),
             "none": ("--dest-decompress",)}[form]
    command = ["skopeo", "copy", "-q", "--src-daemon-host", os.environ["DOCKER_HOST"],
               "--dest-tls-verify=false", *flags, *extra, f"docker-daemon:{image}",
               f"docker://{registry.host}/{name}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def manifest(registry: Registry, name: str, tag: str, auth: tuple | None = None,
             verify=False) -> dict:
    """The image manifest as the registry serves it (read here with requests, independently of
    layerscope)."""
    import requests

    accept = ("application/vnd.oci.image.manifest.v1+json, "
              "application/vnd.docker.distribution.manifest.v2+json")
    reply = requests.get(f"{registry.scheme}://{registry.host}/v2/{name}/manifests/{tag}",
                         headers={"Accept": accept}, auth=auth, verify=verify, timeout=30)
    reply.raise_for_status()
    return reply.json()


# ----------------------------------------------------------------------- TLS, htpasswd, tokens

def certificate(directory: Path, name: str = "registry") -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and its key), made with openssl."""
    need("openssl")
    directory.mkdir(parents=True, exist_ok=True)
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def htpasswd(path: Path) -> Path:
    need("htpasswd")
    done = subprocess.run(["htpasswd", "-Bbn", USER, PASSWORD], check=True, capture_output=True)
    path.write_bytes(done.stdout)
    return path


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_key_id(cert: Path) -> str:
    """The key ID distribution gives a certificate's public key (libtrust: the first 240 bits
    of the SHA-256 of its DER SubjectPublicKeyInfo, base32, in groups of four)."""
    pem = subprocess.run(["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pem,
                         check=True, capture_output=True).stdout
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode()
    return ":".join(encoded[i:i + 4] for i in range(0, len(encoded), 4))


class TokenIssuer:
    """The realm of a token-auth registry: Basic USER:PASSWORD in, an RS256 JWT out (signed by
    openssl with a key made here), granting the scope asked for; counts what it was asked."""

    def __init__(self, directory: Path) -> None:
        self.cert, self.key = certificate(directory, "issuer")
        self.kid = libtrust_key_id(self.cert)
        self.requests: list[dict] = []
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                query = parse_qs(urlsplit(self.path).query)
                given = self.headers.get("Authorization", "")
                issuer.requests.append({"query": query, "basic": given.startswith("Basic ")})
                expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if given != expected:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps({"token": issuer.sign(query.get("scope", [""])[0])}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.realm = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sign(self, scope: str) -> str:
        access = []
        if scope:
            kind, name, actions = scope.split(":", 2) if scope.count(":") >= 2 else ("", "", "")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        claims = {"iss": ISSUER, "sub": USER, "aud": SERVICE, "exp": now + 600, "nbf": now - 10,
                  "iat": now, "jti": str(time.monotonic_ns()), "access": access}
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.key)],
                                   input=signing.encode(), check=True, capture_output=True).stdout
        return f"{signing}.{_b64(signature)}"

    def config(self) -> str:
        return (f"auth:\n  token:\n    realm: {self.realm}\n    service: {SERVICE}\n"
                f"    issuer: {ISSUER}\n    rootcertbundle: {self.cert}\n")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
