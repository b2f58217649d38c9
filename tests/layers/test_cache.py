"""The layer-index cache: round trips, damage and versions, the code that produced an index,
the size cap, concurrent writers."""

import os
import shutil
import threading

import pytest

from layerscope.analysis.packages import PACKAGE_DATABASES
from layerscope.layers import cache as cache_module
from layerscope.layers.blob import IndexedBlob
from layerscope.layers.cache import FORMAT, INDEX_PRODUCERS, CacheStore, producer_fingerprint
from layerscope.layers.limits import ReadOptions
from layerscope.layers.tarindex import CapturePolicy
from layerscope.model import EntryKind, FileEntry
from layerscope.sources.reference import open_source
from tests.imagebuilder import ImageSpec, Step, file, write_docker_archive

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


# ------------------------------------------------- tied to the code that produced it (item 2)

IMAGE = ImageSpec((Step("ADD rootfs /", (file("/var/lib/dpkg/status", "Package: x\n"),)),
                   Step("RUN make", (file("/app", "a" * 300),))))


def layers_read(archive, cache: CacheStore) -> int:
    messages: list[str] = []
    open_source(str(archive)).read(messages.append, cache, ReadOptions(capture=cache.capture))
    return sum(message.startswith("reading layer") for message in messages)


def modified_reader(tmp_path, module: str = "tarindex.py") -> tuple[str, ...]:
    """INDEX_PRODUCERS with `module` replaced by a copy that differs (a fix in the reader)."""
    [original] = [p for p in INDEX_PRODUCERS if os.path.basename(p) == module]
    copy = tmp_path / module
    shutil.copy(original, copy)
    with open(copy, "a") as stream:
        stream.write("\n# a reader fix\n")
    return tuple(str(copy) if p == original else p for p in INDEX_PRODUCERS)


def test_the_producer_fingerprint_follows_each_reader_module_and_the_policy(tmp_path, monkeypatch):
    base = producer_fingerprint(PACKAGE_DATABASES)
    assert producer_fingerprint(PACKAGE_DATABASES) == base and len(base) == 16
    seen = {base, producer_fingerprint(None)}
    for module in ("tarindex.py", "tarheader.py", "blob.py", "decompress.py", "limits.py"):
        with monkeypatch.context() as patched:
            patched.setattr(cache_module, "INDEX_PRODUCERS", modified_reader(tmp_path, module))
            seen.add(producer_fingerprint(PACKAGE_DATABASES))
    other = CapturePolicy(PACKAGE_DATABASES.prefixes + ("/etc/",), PACKAGE_DATABASES.suffixes,
                          PACKAGE_DATABASES.wants)
    seen.add(producer_fingerprint(other))
    assert len(seen) == 8


def test_a_changed_reader_rebuilds_the_cached_indexes(tmp_path, monkeypatch, isolated_cache):
    archive = write_docker_archive(IMAGE, tmp_path / "i.tar")
    assert layers_read(archive, CacheStore(capture=PACKAGE_DATABASES)) == 2
    assert layers_read(archive, CacheStore(capture=PACKAGE_DATABASES)) == 0
    with monkeypatch.context() as patched:
        patched.setattr(cache_module, "INDEX_PRODUCERS", modified_reader(tmp_path))
        assert layers_read(archive, CacheStore(capture=PACKAGE_DATABASES)) == 2  # rebuilt...
        assert layers_read(archive, CacheStore(capture=PACKAGE_DATABASES)) == 0  # ...and kept
    entries = list((isolated_cache / f"layers-v{FORMAT}").iterdir())
    assert len(entries) == 2  # replaced in place, not left beside the new ones
    assert layers_read(archive, CacheStore(capture=PACKAGE_DATABASES)) == 2  # and back


def test_an_index_read_with_another_capture_policy_is_not_reused(tmp_path, isolated_cache):
    archive = write_docker_archive(IMAGE, tmp_path / "i.tar")
    assert layers_read(archive, CacheStore(capture=None)) == 2
    assert layers_read(archive, CacheStore(capture=PACKAGE_DATABASES)) == 2
    cached = CacheStore(capture=PACKAGE_DATABASES)
    image = open_source(str(archive)).read(None, cached, ReadOptions(capture=PACKAGE_DATABASES))
    assert image.layers[0].captured == {"/var/lib/dpkg/status": b"Package: x\n"}
