"""The layer-index cache: round trips, damage and versions, the size cap, concurrent writers."""

import os
import threading

import pytest

from layerscope.layers.blob import IndexedBlob
from layerscope.layers.cache import FORMAT, CacheStore
from layerscope.model import EntryKind, FileEntry

DIFF_ID = "sha256:" + "1" * 64
BLOB = IndexedBlob(
    entries=(FileEntry("/etc", EntryKind.DIRECTORY, 0, 0o755),
             FileEntry("/etc/hostname", EntryKind.FILE, 4, 0o644, 0, 0, None, 123456789),
             FileEntry("/bin/sh", EntryKind.SYMLINK, 7, 0o777, 0, 0, "busybox")),
    size=11, stored_size=None, codec="tar", captured={"/var/lib/dpkg/status": b"Package: x\n"})


def entry_path(cache: CacheStore, diff_id: str = DIFF_ID):
    return cache.directory / f"layers-v{FORMAT}" / diff_id.replace(":", "-")


def test_an_index_comes_back_from_disk_as_it_went_in(tmp_path):
    CacheStore(tmp_path)[DIFF_ID] = BLOB
    again = CacheStore(tmp_path).get(DIFF_ID)
    assert again == BLOB and again.entries[1].kind == EntryKind.FILE


@pytest.mark.parametrize("damage", ["flip", "cut", "version"])
def test_a_damaged_or_foreign_entry_is_dropped_not_trusted(tmp_path, damage):
    CacheStore(tmp_path)[DIFF_ID] = BLOB
    path = entry_path(CacheStore(tmp_path))
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-3] ^= 0x40
    elif damage == "cut":
        del data[len(data) // 2:]
    else:
        data[4] += 1  # the format number after the magic
    path.write_bytes(bytes(data))
    assert CacheStore(tmp_path).get(DIFF_ID) is None
    assert not path.exists()


def test_least_recently_used_entries_go_first(tmp_path):
    cache = CacheStore(tmp_path)
    names = [f"sha256:{n}" + "0" * 63 for n in range(3)]
    for age, name in enumerate(names):
        cache[name] = BLOB
        os.utime(entry_path(cache, name), (1000 + age, 1000 + age))
    CacheStore(tmp_path).get(names[0])  # read again by a later run: now the most recent
    size = entry_path(cache, names[1]).stat().st_size
    assert cache.prune(2 * size) == size
    assert [entry_path(cache, n).exists() for n in names] == [True, False, True]
    cache.store_file("outputs-v1/" + "a" * 32, b"x" * 100)
    assert cache.stats().layer_entries == 2
    assert cache.clear() > 0 and cache.stats().total_bytes == 0


def test_an_index_with_unread_files_is_never_kept(tmp_path):
    partial = IndexedBlob(BLOB.entries, BLOB.size, None, "tar", deferred=((1, 512, 4),))
    with pytest.raises(ValueError):
        CacheStore(tmp_path)[DIFF_ID] = partial
    memory_only = CacheStore(tmp_path, persistent=False)
    memory_only[DIFF_ID] = partial
    assert memory_only.get(DIFF_ID) is partial and not (tmp_path / f"layers-v{FORMAT}").exists()


def test_concurrent_writers_never_leave_a_half_entry(tmp_path):
    failures = []

    def write():
        for _ in range(30):
            CacheStore(tmp_path)[DIFF_ID] = BLOB

    def read():
        for _ in range(200):
            blob = CacheStore(tmp_path).get(DIFF_ID)
            if blob is not None and blob != BLOB:
                failures.append(blob)

    threads = [threading.Thread(target=write) for _ in range(2)] + [threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and CacheStore(tmp_path).get(DIFF_ID) == BLOB
    assert not [p for p in (tmp_path / f"layers-v{FORMAT}").iterdir() if p.name.startswith(".")]


def test_only_old_temporaries_are_swept(tmp_path):
    cache = CacheStore(tmp_path)
    cache[DIFF_ID] = BLOB
    old, young = tmp_path / f"layers-v{FORMAT}" / ".tmp-dead", tmp_path / f"layers-v{FORMAT}" / ".tmp-writing"
    old.write_bytes(b"x")
    young.write_bytes(b"x")
    os.utime(old, (1, 1))  # a run that died mid-write long ago
    cache.prune(cache.limit)
    assert (old.exists(), young.exists()) == (False, True)


def test_the_cap_is_enforced_once_a_run(tmp_path):
    probe = CacheStore(tmp_path)
    probe[DIFF_ID] = BLOB
    size = entry_path(probe).stat().st_size
    probe.clear()
    names = [f"sha256:{n}" + "0" * 63 for n in range(4)]
    run = CacheStore(tmp_path, limit=size)
    for name in names:
        run[name] = BLOB  # the first store prunes (nothing yet); the rest may pass the cap
    assert sum(entry_path(run, n).exists() for n in names) == 4
    CacheStore(tmp_path, limit=size)[DIFF_ID] = BLOB  # the next run prunes down to the cap
    assert sum(p.stat().st_size for p in (tmp_path / f"layers-v{FORMAT}").iterdir()) <= size
