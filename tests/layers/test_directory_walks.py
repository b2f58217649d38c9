"""layers.directory_walks: several layer directories indexed by two processes give exactly the
indexes one process gives, in order, and a layer the worker cannot read is the same error.

The layers are made here: five small trees, each with a file of its own size, a directory, a
symlink, an empty file, a captured file and a hard link, so that every field the worker packs
and this process rebuilds (entries, size, captured contents, deferred reads) is compared."""

from __future__ import annotations

import os
import time

import pytest

from layerscope.errors import LayerReadError
from layerscope.layers.directory_index import index_directory
from layerscope.layers.directory_walks import index_directories
from layerscope.layers.tarindex import CapturePolicy
from layerscope.model import FileEntry

KEEP = CapturePolicy(("/etc/",), (), lambda path: path == "/etc/keep")


def layer(root, number: int) -> str:
    directory = root / f"layer{number}"
    (directory / "etc").mkdir(parents=True)
    (directory / "etc" / "keep").write_bytes(b"k" * number)
    (directory / f"file{number}").write_bytes(b"x" * (1000 + number))
    (directory / "empty").write_bytes(b"")
    os.link(directory / f"file{number}", directory / "etc" / "hard")
    os.symlink("file", directory / "link")
    return str(directory)


def test_two_processes_give_the_indexes_one_gives(tmp_path):
    layers = [(layer(tmp_path, number), number % 2 == 0) for number in range(5)]
    together = index_directories(layers, capture=KEEP, hash_all=False)
    alone = [index_directory(d, capture=KEEP, hash_all=False, type_bits=b) for d, b in layers]
    assert together == alone
    # rebuilt as the named tuples the analysis reads, not plain tuples
    assert all(type(entry) is FileEntry for blob in together for entry in blob.entries)
    # by hand: file<n> (1000 + n bytes) + keep (n) + "file" as a symlink target (4): the
    # hard link and the empty file hold 0
    assert [blob.size for blob in together] == [1000 + 2 * n + 4 for n in range(5)]
    assert [blob.captured for blob in together] == [{"/etc/keep": b"k" * n} for n in range(5)]


def test_a_layer_the_worker_cannot_read_is_the_same_error(tmp_path):
    layers = [(layer(tmp_path, 0), True), (str(tmp_path / "gone"), True)]  # the worker's
    with pytest.raises(LayerReadError, match="cannot read the layer directory .*gone"):
        index_directories(layers, capture=None, hash_all=False)


def test_the_layers_of_a_worker_that_dies_are_walked_here(tmp_path, monkeypatch):
    from layerscope.layers import directory_walks

    layers = [(layer(tmp_path, number), True) for number in range(6)]
    alone = [index_directory(d, capture=KEEP, hash_all=False, type_bits=b) for d, b in layers]
    here, died = os.getpid(), tmp_path / "died"
    walk = directory_walks.walk_directory

    def dies_in_the_worker(directory, **options):
        if os.getpid() != here and directory.endswith("layer2"):
            died.touch()
            os._exit(3)  # killed mid-walk: this layer and any it had not sent are lost
        if os.getpid() == here and directory.endswith("layer0"):
            for _ in range(1000):  # this process holds layer 0 until the worker has died
                if died.exists():
                    break
                time.sleep(0.01)
        return walk(directory, **options)

    monkeypatch.setattr(directory_walks, "walk_directory", dies_in_the_worker)
    seen: list[int] = []
    together = index_directories(layers, capture=KEEP, hash_all=False,
                                 ready=lambda position, blob: seen.append(position))
    assert died.exists()
    assert together == alone
    assert sorted(seen) == list(range(6))  # every layer handed on once, whoever walked it
