"""A fault-injecting proxy in front of a real registry: everything passes through but the one
fault a test asks for (a status, a cut or altered blob, a redirect loop, a stalled body, an
oversized, schema 1 or odd-typed manifest)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

PASSED = ("Content-Type", "Content-Length", "Docker-Content-Digest", "Location",
          "WWW-Authenticate", "Content-Range", "Docker-Distribution-Api-Version")


class FaultProxy:
    """http://127.0.0.1:PORT in front of `upstream`, with `fault` applied to the manifest or
    to the blob `target`."""

    def __init__(self, upstream: str, fault: str, target: str) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                try:
                    proxy.handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.upstream = upstream
        self.fault = fault
        self.target = target
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # a client that closes a kept-alive connection (unread error bodies) is no fault of the
        # test: socketserver would print its traceback into the stderr the tests read
        self.server.handle_error = lambda request, address: None
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --------------------------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path, fault = request.path, self.fault
        is_manifest = "/manifests/" in path
        is_target = path.endswith(self.target)
        if fault == "401":
            return _reply(request, 401, b"{}", {"WWW-Authenticate": 'Basic realm="test"'})
        if path == "/loop" or (fault == "redirect-loop" and is_target):
            return _reply(request, 307, b"", {"Location": "/loop"})
        if is_manifest and fault in ("403", "404-manifest"):
            return _reply(request, int(fault[:3]), b"{}")
        if is_target and fault in ("404-blob", "429", "503"):
            return _reply(request, int(fault[:3]), b"{}", {"Retry-After": "0"})
        if is_manifest and fault == "oversized-manifest":
            return _oversized(request)
        if is_manifest and fault == "schema1":
            body = json.dumps({"schemaVersion": 1, "name": "size", "tag": "latest",
                               "fsLayers": [], "history": []}).encode()
            return _reply(request, 200, body, {
                "Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"})
        if is_target and fault == "stall":
            request.send_response(200)
            request.send_header("Content-Length", "1000000")
            request.end_headers()
            request.wfile.flush()
            time.sleep(3)
            return None
        upstream = requests.get(f"http://{self.upstream}{path}", stream=True, timeout=30,
                                headers={k: v for k, v in request.headers.items()
                                         if k in ("Accept", "Range", "Authorization")})
        body = upstream.content
        if is_manifest and fault == "unknown-media-type":
            document = json.loads(body)
            document["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+lz4"
            body = json.dumps(document).encode()
        if is_target and fault == "truncated":
            body = body[:len(body) // 2]
        if is_target and fault == "wrong-digest":
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1:]
        headers = {k: v for k, v in upstream.headers.items() if k in PASSED}
        headers["Content-Length"] = str(len(body))
        return _reply(request, upstream.status_code, body, headers)


def _reply(request, status: int, body: bytes, headers: dict | None = None) -> None:
    request.send_response(status)
    for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
        request.send_header(key, value)
    request.end_headers()
    request.wfile.write(body)


def _oversized(request) -> None:
    size = 17 << 20
    request.send_response(200)
    request.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
    request.send_header("Content-Length", str(size))
    request.end_headers()
    piece = b" " * (1 << 20)
    for _ in range(17):
        request.wfile.write(piece)
