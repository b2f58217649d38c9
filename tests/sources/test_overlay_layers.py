"""sources.overlay_layers: layers indexed from their directories hash exactly the contents the
merge may compare (when the indexes do not outlive the run), and no other.

The layers are made here as four small trees. Which files must be hashed is worked out by
hand from analysis.merge.classify, which compares bytes only between two regular files of one
size at one path, and between a lower file and the target of a hard link that takes its path:

- /a: "hello" (5 bytes) in layer 0, "goodbye" (7) in layer 1, "hello" (5) again in layer 2:
  layers 0 and 2 share a size, layer 1's size is its own (never compared, left unread);
- /b: "abc" in layer 0, "abd" in layer 1: the same size, both hashed (and unequal);
- /t: "old-t" in layer 0; in layer 3 a hard link to layer 3's /c ("new-t", met first by name):
  the lower /t and the link's target /c are hashed;
- /u: only in layer 3, 9 bytes: never compared, left unread.
"""

from __future__ import annotations

import os

import xxhash

from layerscope.layers.cache import CacheStore
from layerscope.layers.limits import ReadOptions
from layerscope.model import EntryKind
from layerscope.sources.overlay_layers import index_layers
from tests.imagebuilder import write_layer_directories

CONTENTS = [
    {"a": b"hello", "b": b"abc", "t": b"old-t"},
    {"a": b"goodbye", "b": b"abd"},
    {"a": b"hello"},
    {"c": b"new-t", "u": b"unique-9!"},
]


def make_layers(root) -> list[str]:
    directories = write_layer_directories(root, CONTENTS)
    os.link(root / "layer3" / "c", root / "layer3" / "t")
    return directories


def test_only_the_compared_contents_are_hashed(tmp_path):
    directories = make_layers(tmp_path)
    diff_ids = [f"sha256:{number:064x}" for number in range(len(directories))]
    blobs = index_layers(diff_ids, directories, [True] * len(directories),
                         CacheStore(persistent=False), ReadOptions(hash_every_file=False))
    hashes = {(layer, entry.path): entry.content_hash
              for layer, diff_id in enumerate(diff_ids) for entry in blobs[diff_id].entries
              if entry.kind == EntryKind.FILE}
    expected = {(0, "/a"): b"hello", (2, "/a"): b"hello", (0, "/b"): b"abc", (1, "/b"): b"abd",
                (0, "/t"): b"old-t", (3, "/c"): b"new-t"}
    assert {key: hashes[key] for key in expected} == {
        key: xxhash.xxh3_64_intdigest(data) for key, data in expected.items()}
    assert hashes[(1, "/a")] is None and hashes[(3, "/u")] is None
    # what is left unread stays listed, so no persistent cache keeps these indexes
    unread = {(layer, blobs[diff_id].entries[index].path)
              for layer, diff_id in enumerate(diff_ids) for index, _, _ in blobs[diff_id].deferred}
    assert unread == {(1, "/a"), (3, "/u")}
    link = next(entry for entry in blobs[diff_ids[3]].entries if entry.path == "/t")
    assert (link.kind, link.link_target) == (EntryKind.HARDLINK, "/c")


def test_every_file_is_hashed_when_the_indexes_outlive_the_run(tmp_path):
    directories = make_layers(tmp_path)
    diff_ids = [f"sha256:{number:064x}" for number in range(len(directories))]
    blobs = index_layers(diff_ids, directories, [True] * len(directories),
                         CacheStore(persistent=False), ReadOptions(hash_every_file=True))
    for layer, diff_id in enumerate(diff_ids):
        files = {entry.path[1:]: entry.content_hash for entry in blobs[diff_id].entries
                 if entry.kind == EntryKind.FILE}
        assert files == {name: xxhash.xxh3_64_intdigest(data)
                         for name, data in CONTENTS[layer].items()}
        assert not blobs[diff_id].deferred
