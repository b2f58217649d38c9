"""analysis.streamed_merge: the merge made while the engine store's reader hands over the layers
is the merge of the finished image, and is used only for an image read once, in order.

Three small layer directories, read by the real reader (sources.overlay_layers, which hashes
only the contents the merge compares). Worked out by hand from analysis.merge.classify:

- /same: "chmod" (5 bytes) in layer 0, the same 5 bytes in layer 1: metadata-only. Layer 0's
  file is hashed only when layer 1 is taken, after layer 0 was stacked: the streamed merge
  must learn that hash, or the two would pass for different bytes (overwritten);
- /grow: "ab" in layer 0, "abc" in layer 1: another size, overwritten, nothing hashed;
- /diff: "xyz" in layer 1, "xyw" in layer 2: one size, other bytes, overwritten;
- /gone: a file in layer 0 that layer 2 deletes (a 0/0 character device): removed.
"""

from __future__ import annotations

import os
import stat

import pytest

from layerscope.analysis.image_report import analyze
from layerscope.analysis.merge import METADATA_ONLY, OVERWRITTEN, REMOVED, merge_layers
from layerscope.analysis.streamed_merge import StreamedMerge
from layerscope.layers.cache import CacheStore
from layerscope.layers.limits import ReadOptions
from layerscope.model import HistoryEntry, Image, Layer
from layerscope.sources.overlay_layers import index_layers
from tests.imagebuilder import write_layer_directories

CONTENTS = [
    {"same": b"chmod", "grow": b"ab", "gone": b"bye"},
    {"same": b"chmod", "grow": b"abc", "diff": b"xyz"},
    {"diff": b"xyw"},
]
EXPECTED = {("/same", 0, 1): METADATA_ONLY, ("/grow", 0, 1): OVERWRITTEN,
            ("/diff", 1, 2): OVERWRITTEN, ("/gone", 0, 2): REMOVED}


@pytest.fixture
def layers(tmp_path):
    directories = write_layer_directories(tmp_path, CONTENTS)
    os.mknod(tmp_path / "layer2" / "gone", stat.S_IFCHR, os.makedev(0, 0))
    return directories, [f"sha256:{number:064x}" for number in range(len(directories))]


def read(directories, diff_ids, sink):
    blobs = index_layers(diff_ids, directories, [True] * len(diff_ids),
                         CacheStore(persistent=False),
                         ReadOptions(hash_every_file=False, layer_sink=sink))
    layers = tuple(Layer(position, diff_id, blobs[diff_id].entries, blobs[diff_id].size)
                   for position, diff_id in enumerate(diff_ids))
    history = tuple(HistoryEntry(f"COPY layer{n} /", False) for n in range(len(layers)))
    return Image("streamed:test", "sha256:" + "f" * 64, (), "amd64", "linux", history, layers)


def dead_kinds(merged):
    return {(d.path, d.written_by_layer, d.killed_by_layer): d.kind for d in merged.dead
            if d.path in {"/same", "/grow", "/diff", "/gone"}}


def test_the_streamed_merge_is_the_merge_of_the_finished_image(layers):
    merging = StreamedMerge()
    image = read(*layers, merging)
    streamed = merging.result(image)
    assert streamed is not None
    assert dead_kinds(streamed) == EXPECTED
    afterwards = merge_layers([layer.files for layer in image.layers])
    assert dead_kinds(afterwards) == EXPECTED
    assert streamed.flows == afterwards.flows
    assert streamed.wasted_bytes == afterwards.wasted_bytes == 5 + 2 + 3 + 3
    assert analyze(image, None, streamed).report == analyze(image).report


def test_a_merge_of_other_layers_is_not_used(layers):
    directories, diff_ids = layers
    merging = StreamedMerge()
    image = read(directories, diff_ids, merging)
    fewer = Image(image.ref, image.image_id, (), "amd64", "linux", image.history[:2],
                  image.layers[:2])
    assert merging.result(fewer) is None  # an image read through another path part way


def test_a_second_read_into_the_same_sink_spoils_it(layers):
    merging = StreamedMerge()
    read(*layers, merging)
    image = read(*layers, merging)  # its layer 0 comes after layer 2: out of order
    assert merging.result(image) is None
