"""Layer claims: a worker that misses a layer another one is indexing waits for that index
instead of making its own; a claim that is never fulfilled costs a bounded wait."""

from __future__ import annotations

import threading
import time

from layerscope.fleet.claims import ClaimingCache
from layerscope.layers.blob import IndexedBlob
from layerscope.model import FileEntry

DIFF_ID = "sha256:" + "c" * 64
BLOB = IndexedBlob((FileEntry("/etc/motd", 0, 5, 0o644, 0, 0, None, 123),), 5, None, "tar")


def test_second_worker_waits_for_the_first_ones_index(isolated_cache):
    first, second = ClaimingCache(isolated_cache), ClaimingCache(isolated_cache)
    assert first.get(DIFF_ID) is None          # a miss: first claims the layer
    got = {}

    def other_worker():
        started = time.monotonic()
        got["blob"], got["waited"] = second.get(DIFF_ID), time.monotonic() - started

    thread = threading.Thread(target=other_worker)
    thread.start()
    time.sleep(0.4)
    first[DIFF_ID] = BLOB                       # indexed and stored: the claim is released
    thread.join(10)
    assert got["blob"] == BLOB and got["waited"] >= 0.35


def test_an_unfulfilled_claim_costs_a_bounded_wait(isolated_cache):
    first = ClaimingCache(isolated_cache)
    second = ClaimingCache(isolated_cache, wait=0.3)
    assert first.get(DIFF_ID) is None
    started = time.monotonic()
    assert second.get(DIFF_ID) is None          # gives up and indexes it itself
    assert 0.3 <= time.monotonic() - started < 2
    first.release_all()
    third = ClaimingCache(isolated_cache, wait=0.3)
    started = time.monotonic()
    assert third.get(DIFF_ID) is None and time.monotonic() - started < 0.2
    third.release_all()


def test_claims_are_invisible_to_the_cache_listing(isolated_cache):
    cache = ClaimingCache(isolated_cache)
    cache.get(DIFF_ID)
    assert cache.stats().layer_entries == 0 and cache.stats().total_bytes == 0
    cache.release_all()
