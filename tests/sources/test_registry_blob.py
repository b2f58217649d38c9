"""registry_blob.BlobStream against a real HTTP server on loopback that drops the connection
halfway through a blob: the stream resumes from the byte it reached (a Range request, or the
whole blob again with what was read skipped when the server ignores Range), hands the reader
the blob's exact bytes, and checks its size and digest at the end."""

from __future__ import annotations

import hashlib
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from layerscope.errors import LayerReadError
from layerscope.sources import registry_http
from layerscope.sources.registry_access import RegistryAccess
from layerscope.sources.registry_blob import CHUNK, BlobStream
from layerscope.sources.registry_http import Http

BLOB = os.urandom(3 << 20)
DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()
CUT = CHUNK + 500_003
"""Bytes the server sends of its first answer before it closes the connection: one whole piece
reaches the reader, the piece cut short is lost (the connection raises instead), so the
download resumes at byte CHUNK."""


class CuttingServer:
    """Serves BLOB at /blob; the first answer stops after CUT bytes; later ones honour a Range
    header (206) unless `ranges` is False (200 and the whole blob)."""

    def __init__(self, ranges: bool) -> None:
        self.asked: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                span = self.headers.get("Range")
                server.asked.append(span)
                start = int(span[6:-1]) if span and ranges else 0
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(BLOB) - start))
                self.end_headers()
                if len(server.asked) == 1:
                    self.wfile.write(BLOB[:CUT])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(BLOB[start:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def stream(server: CuttingServer, digest: str = DIGEST, size: int = len(BLOB)
           ) -> tuple[BlobStream, Http]:
    http = Http(server.host, RegistryAccess())
    http.scheme = "http"
    return BlobStream(lambda headers: http.get("/blob", headers, stream=True), http, digest,
                      size), http


def read_all(blob: BlobStream) -> bytes:
    pieces = []
    while piece := blob.read(300_000):  # smaller than the pieces: the rest is kept for later
        pieces.append(piece)
    return b"".join(pieces)


@pytest.mark.parametrize("ranges", [True, False], ids=["range", "range-ignored"])
def test_a_dropped_connection_resumes_from_the_byte_reached(ranges, monkeypatch):
    monkeypatch.setattr(registry_http, "BACKOFF", 0.01)
    server = CuttingServer(ranges)
    try:
        blob, http = stream(server)
        assert read_all(blob) == BLOB
        blob.finish()
        blob.close()
    finally:
        server.stop()
    assert server.asked == [None, f"bytes={CHUNK}-"]
    # fetched: the whole piece, then the rest (or, ignoring Range, the whole blob again)
    assert http.counter.bytes == (len(BLOB) if ranges else CHUNK + len(BLOB))
    assert http.counter.requests == 2


def test_a_blob_that_does_not_match_its_digest_fails_at_the_end(monkeypatch):
    monkeypatch.setattr(registry_http, "BACKOFF", 0.01)
    server = CuttingServer(True)
    other = "sha256:" + "0" * 64
    try:
        blob, _ = stream(server, other)
        assert read_all(blob) == BLOB  # the bytes flow; the verdict comes with finish()
        with pytest.raises(LayerReadError, match="does not match its digest: its bytes are "
                                                 + DIGEST):
            blob.finish()
    finally:
        server.stop()


def test_finish_reads_what_the_reader_left_and_checks_the_size(monkeypatch):
    monkeypatch.setattr(registry_http, "BACKOFF", 0.01)
    server = CuttingServer(True)
    try:
        blob, http = stream(server)
        assert blob.read(10) == BLOB[:10]
        blob.finish()  # the rest downloaded and hashed: the digest holds
        assert http.counter.bytes == len(BLOB)
        short, _ = stream(server, size=len(BLOB) + 1)  # a descriptor promising one byte more
        read_all(short)
        with pytest.raises(LayerReadError, match=f"is truncated: {len(BLOB)} of {len(BLOB) + 1}"):
            short.finish()
    finally:
        server.stop()
