"""Engine failures, against a tiny fake Docker API on a unix socket (no real engine needed):
an unreachable socket, a socket we may not open, an image removed while being read, and the
connection dropped in the middle of the `docker save` stream."""

from __future__ import annotations

import hashlib
import json
import os
import socketserver
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from tests.hostile import tarbytes as tb

LAYER = tb.layer(tb.member("etc/hostname", b"box\n"), tb.member("big", bytes(range(256)) * 400))
CONFIG = json.dumps(tb.config_for([LAYER])).encode()
IMAGE_ID = "sha256:" + hashlib.sha256(CONFIG).hexdigest()


def _export() -> bytes:
    """What `docker save` sends: the config named by its digest, as the engine names it."""
    config_name = IMAGE_ID.removeprefix("sha256:") + ".json"
    return tb.docker_archive([LAYER], config=CONFIG, extra={config_name: CONFIG}, manifest=[
        {"Config": config_name, "RepoTags": ["fake:latest"], "Layers": ["layer0/layer.tar"]}])


class FakeEngine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, behaviour: str) -> None:
        self.behaviour = behaviour
        self.requests: list[str] = []
        super().__init__(path, Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet, and unix sockets have no client address
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self._send(200, b"")

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.server.requests.append(path)
        if path.endswith("/_ping"):
            self._send(200, b"OK", "text/plain")
        elif path.endswith("/version"):
            self._send(200, json.dumps({"ApiVersion": "1.41", "Version": "24.0.0"}).encode())
        elif path.endswith("/json") and "/images/" in path:
            self._send(200, json.dumps({"Id": IMAGE_ID, "RepoTags": ["fake:latest"],
                                        "RootFS": {"Layers": []}}).encode())
        elif path.endswith("/images/get"):
            self._export()
        else:
            self._send(404, b'{"message": "not found"}')

    def _export(self) -> None:
        behaviour = self.server.behaviour
        if behaviour == "removed":
            self._send(404, json.dumps({"message": f"reference does not exist: {IMAGE_ID}"})
                       .encode())
            return
        data = _export()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-tar")
        if behaviour == "length":  # what an engine that knows the size up front would send
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if behaviour == "chunked":  # chunks of every size, as a streaming engine flushes them
            at, sizes = 0, [1, 511, 32768, 7, 100_000]
            while at < len(data):
                piece = data[at:at + sizes[at % len(sizes)]]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                at += len(piece)
            self.wfile.write(b"0\r\n\r\n")
            return
        half = data[:len(data) // 2]
        self.wfile.write(f"{len(half):x}\r\n".encode() + half + b"\r\n")
        self.wfile.flush()
        self.close_connection = True  # cut: no further chunks, no terminating chunk


@pytest.fixture
def fake_engine(tmp_path):
    def start(behaviour: str) -> str:
        path = str(tmp_path / "docker.sock")
        server = FakeEngine(path, behaviour)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append(server)
        return f"unix://{path}"

    started: list[FakeEngine] = []
    start.started = started
    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def run(docker_host: str, cwd, prefix=()) -> subprocess.CompletedProcess:
    env = dict(os.environ, DOCKER_HOST=docker_host)
    return subprocess.run([*prefix, sys.executable, "-m", "layerscope", "inspect", "fake:latest",
                           "--format", "json"], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=60)


def assert_one_error(result, pattern: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 2 and lines[0].startswith("layerscope: error: "), result.stderr
    assert pattern in lines[0], lines[0]


def test_unreachable_socket(tmp_path):
    result = run(f"unix://{tmp_path}/absent.sock", tmp_path)
    assert_one_error(result, f"cannot reach the Docker engine at unix://{tmp_path}/absent.sock")
    assert "hint: start dockerd" in result.stderr


def test_socket_we_may_not_open(tmp_path, fake_engine):
    host = fake_engine("normal")
    socket_path = host.removeprefix("unix://")
    os.chmod(socket_path, 0)
    prefix = []
    if os.geteuid() == 0:  # root opens anything: drop the capabilities that let it
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
    result = run(host, tmp_path, prefix=prefix)
    assert_one_error(result, f"cannot reach the Docker engine at {host}")


def test_image_removed_while_being_read(tmp_path, fake_engine):
    result = run(fake_engine("removed"), tmp_path)
    assert_one_error(result, "the engine failed while exporting fake:latest")
    assert os.listdir(tmp_path) == ["docker.sock"]


def test_connection_dropped_mid_stream(tmp_path, fake_engine):
    result = run(fake_engine("cut"), tmp_path)
    assert_one_error(result, "the engine's export of fake:latest")
    assert os.listdir(tmp_path) == ["docker.sock"]


@pytest.mark.parametrize("behaviour", ["chunked", "length"])
def test_a_whole_export_gives_the_report_of_the_same_archive(tmp_path, fake_engine, behaviour):
    result = run(fake_engine(behaviour), tmp_path)
    assert result.returncode == 0, result.stderr
    (tmp_path / "export.tar").write_bytes(_export())
    archive = subprocess.run([sys.executable, "-m", "layerscope", "inspect", "export.tar",
                              "--format", "json", "--no-cache"], capture_output=True, text=True,
                             cwd=tmp_path, timeout=60)
    engine_report, archive_report = json.loads(result.stdout), json.loads(archive.stdout)
    for report in (engine_report, archive_report):
        report.pop("image")  # the reference and tags differ; everything measured must not
    assert engine_report == archive_report


def test_a_cold_run_connects_and_inspects_once(tmp_path, fake_engine):
    """The report key (identity) and the read share one connection and one inspect."""
    host = fake_engine("chunked")
    env = dict(os.environ, DOCKER_HOST=host, LAYERSCOPE_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-m", "layerscope", "inspect", "fake:latest",
                             "--format", "json"], capture_output=True, text=True, cwd=tmp_path,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    requests = fake_engine.started[0].requests
    assert sum(path.endswith("/_ping") for path in requests) == 1, requests
    assert sum(path.endswith("/images/fake:latest/json") for path in requests) == 1, requests
    assert sum(path.endswith("/images/get") for path in requests) == 1, requests
