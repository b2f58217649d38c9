"""Where fleet tasks run: in this process, in worker processes of this machine, or on an
existing Dask distributed cluster; each as a concurrent.futures executor, so the scan loop is
one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager

from . import FleetError

IN_FLIGHT = 4
"""Tasks kept submitted per worker: enough queued that workers stay busy while the client
writes a batch of results (the database load of a large layer takes as long as its indexing)."""
CONNECT_TIMEOUT = 10
"""Seconds to wait for a Dask scheduler to answer."""


class InlineExecutor(Executor):
    """Runs each task at once in this process: one image, or --jobs 1, needs no workers."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def default_jobs() -> int:
    """Worker processes on this machine: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def lost_task(error: BaseException) -> str | None:
    """The one-line error of an image whose task the cluster gave up on (it took down worker
    after worker: the scheduler's allowed-failures), else None."""
    if type(error).__name__ == "KilledWorker":
        return f"the task of this image killed Dask workers more than allowed ({error})"
    return None


class Connection:
    """A Dask client being made on a thread of its own, started before the scan opens its
    database and reads the targets' metadata: importing `distributed` and meeting the scheduler
    take a third of a second that would otherwise be spent before the first task is sent."""

    def __init__(self, address: str) -> None:
        import threading

        self.address = address
        """tcp://HOST:8786 of the scheduler."""
        self._client = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._connect, name="layerscope-dask-connect",
                                        daemon=True)
        self._thread.start()

    def _connect(self) -> None:
        try:
            self._client = _client(self.address)
        except BaseException as error:  # noqa: BLE001 - handed to the scan's thread in client()
            self._error = error

    def client(self):
        """The connected distributed.Client; the FleetError of a failed connection."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._client

    def close(self) -> None:
        """Close the client, once it is made (a scan that stopped early waits for it)."""
        self._thread.join()
        if self._client is not None:
            self._client.close()
            self._client = None


@contextmanager
def cluster_connection(address: str | None) -> Iterator[Connection | None]:
    """A Connection to the cluster at `address` (None: no cluster), closed on the way out."""
    if not address:
        yield None
        return
    connection = Connection(address)
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def executor_for(cluster: Connection | None, jobs: int, tasks: int) -> Iterator[tuple[Executor, int]]:
    """(executor, tasks worth keeping in flight) for a scan of `tasks` images."""
    if cluster is not None:
        yield dask_executor(cluster.client())
        return
    workers = min(jobs, tasks)
    if workers <= 1:
        yield InlineExecutor(), 1
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # spawn, not fork: DuckDB's threads are running in this process
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool, IN_FLIGHT * workers
    except BrokenProcessPool as error:
        raise FleetError("a worker process died (killed, or out of memory?); the images it had "
                         "finished are in the database",
                         hint="run the scan again to continue it; --jobs 1 uses less memory"
                         ) from error


def dask_executor(client) -> tuple[Executor, int]:
    """The cluster a distributed.Client reaches, as an executor. A task lost with a worker
    that died is run again on another by the scheduler (its allowed-failures setting), so a dead
    worker costs a retry, never a result."""
    workers = len(client.scheduler_info().get("workers", {})) or 1
    return client.get_executor(pure=False), IN_FLIGHT * workers


def _client(address: str):
    try:
        from distributed import Client
    except ImportError as error:
        raise FleetError("--cluster needs the `distributed` package",
                         hint="pip install 'layerscope[fleet]'") from error
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise FleetError(f"cannot reach the Dask scheduler at {address}: {_line(error)}",
                         hint="start one with `dask scheduler` and workers with "
                              "`dask worker tcp://HOST:8786` (docs/fleet.md)") from error


def _line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
