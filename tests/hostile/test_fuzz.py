"""Fuzzing the layer and archive readers: any bytes give an index or a LayerscopeError, nothing else.

Hypothesis builds tars from hostile pieces (lying sizes, odd types, PAX records, long names),
mutates valid layers and archives byte by byte, and wraps them in gzip or zstd. An archive that
reads must give the same report read cold into a cache, from that cache, and with --no-cache
(which skips large files unread). The smoke run is a few seconds in `make test`; `make fuzz`
sets FUZZ_EXAMPLES for a long session. A crash or a disagreement found here becomes a case in
corpus.py.
"""

from __future__ import annotations

import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layerscope.errors import LayerscopeError
from layerscope.layers.blob import index_blob
from layerscope.layers.limits import ReadOptions
from layerscope.layers.tarindex import index_layer
from layerscope.sources.reference import open_source
from tests.hostile import tarbytes as tb
from tests.inprocess import run_main

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=list(HealthCheck), database=None)
SMALL = ReadOptions(max_ratio=50, ratio_floor=1 << 20, verify=True)

names = st.one_of(st.sampled_from(["a", "./a", "a/b", "../x", "/", ".", ".wh.a", "a/.wh..wh..opq",
                                   "x" * 150, "a//b/", ".wh..wh.plnk"]),
                  st.binary(min_size=0, max_size=120))
types = st.sampled_from(list(b"0123456789xgLKSVZ\0"))
fields = st.one_of(st.none(), st.binary(min_size=12, max_size=12),
                   st.integers(-(1 << 90), 1 << 90).map(
                       lambda n: (b"\xff" if n < 0 else b"\x80") + (n % (1 << 88)).to_bytes(11, "big")),
                   st.sampled_from([b"-0000001000\0", b"77777777777\0", b"1_0\0" + bytes(8)]))


@st.composite
def members(draw) -> bytes:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        records = draw(st.dictionaries(st.sampled_from(["path", "linkpath", "size", "uid", "gid",
                                                        "GNU.sparse.realsize", "GNU.sparse.size"]),
                                       st.text(max_size=30), max_size=3))
        return tb.pax(records)
    if kind == 1:
        return tb.gnu_long_name(draw(st.binary(max_size=300)))
    content = draw(st.binary(max_size=700))
    header = tb.header(draw(names), size=len(content), type_flag=bytes([draw(types)]),
                       link=draw(st.binary(max_size=100)), size_field=draw(fields))
    return header + tb.padded(content)


@st.composite
def layers(draw) -> bytes:
    data = tb.layer(*draw(st.lists(members(), max_size=6)), end=draw(st.booleans()))
    for _ in range(draw(st.integers(0, 3))):  # then flip, cut or splice some bytes
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.integers(0, 2))
        if action == 0:
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
        elif action == 1:
            data = data[:at]
        else:
            data = data[:at] + draw(st.binary(max_size=64)) + data[at:]
    return data


def _index(data: bytes, codec: str) -> None:
    try:
        index_blob(io.BytesIO(tb.compress(data, codec)), None, options=SMALL)
    except LayerscopeError:
        pass


@FUZZ
@given(layers())
def test_any_layer_bytes_index_or_fail_cleanly(data):
    try:
        index_layer(io.BytesIO(data), {})
    except LayerscopeError:
        pass
    try:
        index_layer(data, {})  # the in-memory path
    except LayerscopeError:
        pass


@FUZZ
@given(layers(), st.sampled_from(["gzip", "zstd"]), st.data())
def test_any_compressed_layer_indexes_or_fails_cleanly(data, codec, draw):
    compressed = tb.compress(data, codec)
    if compressed and draw.draw(st.booleans()):
        at = draw.draw(st.integers(0, len(compressed) - 1))
        compressed = compressed[:at] + bytes([compressed[at] ^ 0x55]) + compressed[at + 1:]
    try:
        index_blob(io.BytesIO(compressed), len(compressed), options=SMALL)
    except LayerscopeError:
        pass


GOOD_LAYER = tb.layer(tb.header("etc/", type_flag=b"5"), tb.member("etc/hostname", b"box\n"))


@FUZZ
@given(st.data())
def test_any_archive_reads_or_fails_cleanly(tmp_path_factory, data):
    archive = bytearray(tb.docker_archive([GOOD_LAYER, data.draw(layers())]))
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(0, len(archive) - 1))
        archive[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.one_of(st.none(), st.integers(0, len(archive))))
    compressed = data.draw(st.sampled_from(["none", "gzip"]))
    path = tmp_path_factory.mktemp("fuzz") / "image.tar"
    path.write_bytes(tb.compress(bytes(archive[:cut]), compressed))
    try:
        open_source(str(path)).read()
    except LayerscopeError:
        return
    assert_one_report(path, tmp_path_factory)


def assert_one_report(path, tmp_path_factory) -> None:
    """Read cold into a cache, from it, and with --no-cache: one exit code, one report."""
    # a cache of its own: a fuzzed layer keeps the diff ID of the layer it was made from
    os.environ["LAYERSCOPE_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    command = ("inspect", str(path), "--format", "json")
    cold, cached, uncached = run_main(*command), run_main(*command), run_main(*command, "--no-cache")
    assert cold == cached == uncached


# files over 64 KiB: --no-cache seeks past them unread and hashes afterwards only those at a
# path written twice, so a rewrite must still be told metadata-only from overwritten
large_files = st.builds(lambda name, size, byte, mode: tb.member(name, bytes([byte]) * size, mode=mode),
                        st.sampled_from(["big", "etc/hostname", "a/b"]),
                        st.integers(60_000, 140_000), st.integers(0, 1), st.sampled_from([0o644, 0o600]))


@FUZZ
@given(st.lists(st.lists(st.one_of(members(), large_files), max_size=4), min_size=1, max_size=3),
       st.sampled_from(["none", "gzip"]))
def test_layers_that_read_give_one_report_cached_and_uncached(tmp_path_factory, stacks, compressed):
    layers = [tb.layer(*stack) for stack in stacks]
    path = tmp_path_factory.mktemp("fuzz") / "image.tar"
    path.write_bytes(tb.compress(tb.docker_archive(layers), compressed))
    assert_one_report(path, tmp_path_factory)
