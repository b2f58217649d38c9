"""A real dask.distributed cluster on loopback: a scheduler and worker processes (one thread
each, no nanny, so a killed worker stays dead), started and stopped by the tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

from distributed import Client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen]


def _start(module: str, *args: str, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", f"distributed.cli.{module}", *args],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@contextmanager
def cluster(workers: int, log_dir) -> Cluster:
    """A scheduler and `workers` workers; the workers inherit this process's environment
    (PYTHONPATH to import layerscope, LAYERSCOPE_CACHE_DIR for their layer cache)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = open(log_dir / "dask.log", "ab")
    started = [_start("dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                      "--dashboard-address", ":0", log=log)]
    try:
        time.sleep(0.5)
        for _ in range(workers):
            started.append(_start("dask_worker", address, "--nthreads", "1", "--no-nanny",
                                  "--host", "127.0.0.1", "--dashboard-address", ":0", log=log))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)
        yield Cluster(address, started[0], started[1:])
    finally:
        for process in reversed(started):
            if process.poll() is None:
                process.terminate()
        for process in started:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def kill_busy_worker(address: str, timeout: float = 60) -> int:
    """SIGKILL a worker process while it runs a task; its process ID."""
    deadline = time.monotonic() + timeout
    with Client(address, timeout=30) as client:
        while time.monotonic() < deadline:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                return pid
            time.sleep(0.05)
    raise AssertionError("no worker started a task")
