"""Each distinct layer indexed once across workers that share a cache directory: a worker that
misses a layer in the cache claims it (an exclusive lock on a file named for its diff ID) before
indexing it, and a worker that finds it claimed waits for the index instead of making its own.
A claim is released when the index is stored, or when the task ends; a wait is bounded, so a
lost claim or a layer claimed in another order by two images costs a second indexing, never a
stall."""

from __future__ import annotations

import fcntl
import hashlib
import os
import time

from ..layers.cache import CacheStore

CLAIM_WAIT = 120.0
"""Seconds a worker waits for another one's index of a layer before indexing it itself."""
POLL = 0.02
KEEP_ENTRIES = 500_000
"""Layer entries a worker keeps decoded between images (about 100 MB)."""


class ClaimingCache(CacheStore):
    """The layer-index cache, with misses claimed across processes (see the module docstring)."""

    def __init__(self, *args, wait: float = CLAIM_WAIT, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._wait = wait
        self._held: dict[str, int] = {}

    def get(self, diff_id: str):
        blob = super().get(diff_id)
        if blob is not None or not (self.persistent and self.reuse) or diff_id in self._held:
            return blob
        handle = self._claim(diff_id)
        blob = super().get(diff_id)  # stored by the claimant we waited for
        if blob is not None:
            _release(handle)
        elif handle is not None:
            self._held[diff_id] = handle
        return blob

    def __setitem__(self, diff_id: str, blob) -> None:
        super().__setitem__(diff_id, blob)
        _release(self._held.pop(diff_id, None))

    def release_all(self) -> None:
        """Give up every claim still held (a task that failed, or read a layer it never
        stored)."""
        for handle in self._held.values():
            _release(handle)
        self._held.clear()

    def forget(self, keep: int = KEEP_ENTRIES) -> None:
        """Drop the indexes this process holds in memory, oldest first, down to `keep` entries
        in all: a worker reads image after image, and the bases they share stay decoded."""
        total = sum(len(blob.entries) for blob in self._memory.values())
        for diff_id in list(self._memory):
            if total <= keep:
                break
            total -= len(self._memory.pop(diff_id).entries)

    def _claim(self, diff_id: str) -> int | None:
        directory = self.directory / "claims"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            # a dot name: the cache's own listing (prune, info) leaves it alone
            name = "." + hashlib.sha256(diff_id.encode()).hexdigest()
            handle = os.open(directory / name, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return None
        deadline = time.monotonic() + self._wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return handle
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(handle)
                    return None
                time.sleep(POLL)
            except OSError:
                os.close(handle)
                return None


def _release(handle: int | None) -> None:
    if handle is not None:
        os.close(handle)  # closing the descriptor drops its lock
