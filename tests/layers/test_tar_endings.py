"""How a tar may end and what every header must carry, the same on every read path.

Go's archive/tar (what Docker loads layers with) takes the end of the data at a header
boundary, or inside the padding after a member's content, as the end of the archive; data that
ends inside a header or inside a member's content is io.ErrUnexpectedEOF. Every header's
checksum is checked, whatever its magic. layerscope does the same on every path a layer is read
by: an archive file by offset (read ahead; large files skipped with --no-cache), a stream (a
compressed archive, the engine's export), gzip and zstd blobs, --verify, a buffer in memory.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import pytest
import zstandard

from layerscope.errors import LayerReadError, SourceError
from layerscope.layers.blob import index_blob
from layerscope.layers.limits import ReadOptions
from layerscope.layers.readahead import BlockPool
from layerscope.layers.tarheader import BLOCK, expected_adler, is_header
from layerscope.layers.tarindex import index_layer
from layerscope.sources.archive import FileSlice
from layerscope.sources.engine import ChunkStream
from layerscope.sources.outer_tar import read_archive
from tests.hostile import tarbytes as tb
from tests.integration.conftest import run_layerscope

BIG = 70_001
"""Over the 64 KiB a --no-cache read skips unread, and not a whole number of blocks."""

LOWER = tb.header("a", size=100) + b"x" * 100
"""/a, 100 bytes, and the layer ends right after them: no padding, no end-of-archive blocks."""
UPPER = tb.header("a", size=BIG) + b"y" * BIG + bytes(50)
"""/a again, 70,001 new bytes, and only 50 of the 463 bytes of padding."""
FIGURES = (100 + BIG, BIG, 100)
"""(size, visible, wasted): both versions of /a count; the lower one is dead, overwritten."""


def paths(data: bytes):
    """(name, a call that indexes `data` as that read path does) for every path."""
    handle = io.BytesIO(b"H" * BLOCK + data)  # an archive file, the layer at an offset in it
    gzipped, zstded = gzip.compress(data), zstandard.ZstdCompressor().compress(data)
    yield "read-ahead", lambda: index_blob(FileSlice(handle, BLOCK, len(data)), len(data),
                                           read_ahead=BlockPool())
    yield "skipping", lambda: index_blob(FileSlice(handle, BLOCK, len(data)), len(data), defer=True)
    yield "stream", lambda: index_blob(io.BytesIO(data), len(data))
    yield "gzip", lambda: index_blob(io.BytesIO(gzipped), len(gzipped))
    yield "zstd", lambda: index_blob(io.BytesIO(zstded), len(zstded))
    yield "verify", lambda: index_blob(io.BytesIO(data), len(data), options=ReadOptions(verify=True))
    yield "memory", lambda: index_layer(data)
    yield "engine export", lambda: read_archive(
        ChunkStream(iter([tb.tar_of({"layer.tar": data})])), "export").layer("layer.tar")


def entries_of(result):
    return result[0] if isinstance(result, tuple) else result.entries


@pytest.mark.parametrize("ending", ["no padding", "part of the padding", "one zero block",
                                    "no end blocks"])
def test_a_layer_may_end_at_a_header_or_inside_the_padding_on_every_path(ending, tmp_path):
    data = {"no padding": LOWER, "part of the padding": UPPER,
            "one zero block": tb.member("a", b"x" * 100) + bytes(BLOCK),
            "no end blocks": tb.member("a", b"x" * 100)}[ending]
    size = BIG if ending == "part of the padding" else 100
    for name, read in paths(data):
        entries = entries_of(read())
        assert [(e.path, e.size) for e in entries] == [("/a", size)], name


@pytest.mark.parametrize("ending", ["inside the content", "inside a header", "half a zero block"])
def test_a_layer_that_ends_inside_a_header_or_content_is_truncated_on_every_path(ending, tmp_path):
    data = {"inside the content": UPPER[:BLOCK + BIG - 1],
            "inside a header": tb.member("a", b"x" * 100) + tb.header("b")[:300],
            "half a zero block": tb.member("a", b"x" * 100) + bytes(300)}[ending]
    for name, read in paths(data):
        with pytest.raises((LayerReadError, SourceError), match="truncated"):
            read()
            pytest.fail(name)


def flip(block: bytes, offset: int) -> bytes:
    return block[:offset] + bytes([block[offset] ^ 1]) + block[offset + 1:]


@pytest.mark.parametrize("offset", [0, 99, 100, 130, 156, 200, 300, 345, 511])
def test_a_ustar_header_whose_checksum_does_not_add_up_is_refused_by_both_readers(offset, tmp_path):
    bad = flip(tb.header("etc/hosts", size=3), offset) + tb.padded(b"abc")
    assert not is_header(bad[:BLOCK])
    for name, read in paths(bad + bytes(1024)):
        with pytest.raises((LayerReadError, SourceError), match="no valid tar header"):
            read()
            pytest.fail(name)
    outer = flip(tb.tar_of({"manifest.json": b"[]"})[:BLOCK], offset)
    with pytest.raises(SourceError, match="not a tar archive"):
        read_archive(io.BytesIO(outer + bytes(2048)), "image.tar")


def with_checksum(block: bytearray, field: bytes) -> bytes:
    assert len(field) == 8
    block[148:156] = field
    return bytes(block)


def test_every_checksum_spelling_go_reads_is_read():
    block = bytearray(tb.header("f", size=0))
    block[148:156] = b" " * 8
    unsigned = sum(block)
    for field in (b"%06o\0 " % unsigned, b"%07o\0" % unsigned, b"%07o " % unsigned,
                  b" %06o " % unsigned, (b"%o" % unsigned).ljust(8, b"\0")):
        header = with_checksum(bytearray(block), field)
        assert is_header(header), field
        assert index_layer(io.BytesIO(header + bytes(1024)))[0][0].path == "/f", field
    for field in (b"+%05o\0 " % unsigned, b"%06o\0 " % (unsigned + 1), b"%06o\08" % unsigned,
                  b"%03o %03o\0" % divmod(unsigned, 512)):
        assert not is_header(with_checksum(bytearray(block), field)), field


def test_a_signed_checksum_is_read_as_go_and_tarfile_read_it():
    block = bytearray(tb.header("caf\u00e9", size=0))  # two bytes over 0x7f in the name
    block[148:156] = b" " * 8
    signed = sum(block) - 2 * 256
    header = with_checksum(block, b"%06o\0 " % signed)
    assert is_header(header)
    assert tarfile.TarInfo.frombuf(header, "utf-8", "surrogateescape").name == "caf\u00e9"
    assert index_layer(io.BytesIO(header + bytes(1024)))[0][0].path == "/caf\u00e9"


def test_a_header_whose_bytes_sum_past_adler32s_modulus_is_checked_exactly():
    high = "\u00ff"  # two bytes, 0xC3 0xBF, in UTF-8
    block = bytearray(tb.header(high * 50, size=0, link=high * 50, prefix=high.encode() * 77,
                                extra={265: b"\xff" * 32, 297: b"\xff" * 32}))
    block[148:156] = b" " * 8
    total = sum(block)
    assert total > 65521
    good = with_checksum(bytearray(block), b"%06o\0 " % total)
    assert expected_adler(good[148:156]) == -1  # beyond one adler32: the exact check decides
    assert is_header(good)
    assert index_layer(io.BytesIO(good + bytes(1024)))[0][0].path == "/" + high * 77 + "/" + high * 50


def test_the_one_checksum_the_layer_readers_fast_path_cannot_tell_is_off_by_65521():
    """The layer reader's fast path compares one adler32 of the header, which knows the byte sum
    modulo 65521 (tarheader.expected_adler): a checksum off by exactly 65521, which takes a forged
    header (damage does not move a sum by that much and still parse), is taken there; the exact
    check (is_header, the outer archive's reader) refuses it."""
    block = bytearray(tb.header("f", size=0, extra={257 + 8: b"\xff" * 64, 345: b"\xff" * 167,
                                                    157: b"\xff" * 100}))
    block[148:156] = b" " * 8
    total = sum(block)
    assert 65521 < total < 2 * 65521
    forged = with_checksum(bytearray(block), b"%06o\0 " % (total - 65521))
    assert not is_header(forged)
    entries, _ = index_layer(io.BytesIO(forged + bytes(1024)))
    assert [entry.path.rpartition("/")[2] for entry in entries] == ["f"]  # under the 0xFF prefix


# -- the command line: every transport and cache setting gives the same figures -----------------

def oci_layout(root, layers: list[bytes], codec: str) -> str:
    """An OCI image layout of `layers`, each stored as `codec`."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes, media_type: str) -> dict:
        digest = tb.sha(data)
        (blobs / digest.removeprefix("sha256:")).write_bytes(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    suffix = {"tar": "", "gzip": "+gzip", "zstd": "+zstd"}[codec]
    stored = [put(tb.compress(raw, codec), "application/vnd.oci.image.layer.v1.tar" + suffix)
              for raw in layers]
    config = put(json.dumps(tb.config_for(layers)).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = put(json.dumps({"schemaVersion": 2, "config": config, "layers": stored}).encode(),
                   "application/vnd.oci.image.manifest.v1+json")
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest]}))
    return f"oci:{root}"


def references(layers: list[bytes], tmp_path) -> dict[str, str]:
    plain = tb.docker_archive(layers)
    references = {"archive": tb.write(tmp_path / "image.tar", plain),
                  "archive.gz": tb.write(tmp_path / "image.tar.gz", gzip.compress(plain))}
    for codec in ("gzip", "zstd"):
        blobs = [tb.compress(raw, codec) for raw in layers]
        references[f"{codec} layers"] = tb.write(tmp_path / f"{codec}.tar",
                                                 tb.docker_archive(layers, blobs=blobs))
    for codec in ("tar", "gzip", "zstd"):
        references[f"oci {codec}"] = oci_layout(tmp_path / f"oci-{codec}", layers, codec)
    return references


def figures(result) -> tuple[int, int, int]:
    assert result.returncode == 0, result.stderr
    image = json.loads(result.stdout)["image"]
    return image["size"], image["visible_bytes"], image["wasted_bytes"]


def test_a_layer_without_its_final_padding_gives_the_same_figures_everywhere(tmp_path):
    for name, reference in references([LOWER, UPPER], tmp_path).items():
        for cache in ((), ("--no-cache",)):
            result = run_layerscope("inspect", reference, "--format", "json", *cache)
            assert figures(result) == FIGURES, (name, cache)
        again = run_layerscope("inspect", reference, "--format", "json")  # from the cache
        assert figures(again) == FIGURES, name


def test_a_layer_cut_inside_a_content_is_refused_everywhere(tmp_path):
    cut = UPPER[:BLOCK + BIG - 1]
    for name, reference in references([LOWER, cut], tmp_path).items():
        for cache in ((), ("--no-cache",)):
            result = run_layerscope("inspect", reference, *cache)
            assert result.returncode == 2, (name, cache, result.stderr)
            assert "truncated" in result.stderr, (name, result.stderr)
