"""A layer indexed from its zstd:chunked or eStargz TOC is the tar reader's index of the same
layer, entry by entry, with the same captured files; what it fetches is counted; a TOC that
cannot stand in for the tar says so (TocUnusable) and a layer without one is None."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest

from layerscope.analysis.packages import PACKAGE_DATABASES
from layerscope.errors import SourceError
from layerscope.layers.blob import index_blob
from layerscope.layers.limits import ReadOptions
from layerscope.layers.toc import (
    EMPTY_HASH,
    TOC_HASH_BASE,
    TocUnusable,
    digest_hash,
    is_digest_hash,
    tar_hashes,
    tar_hashes_needed,
    with_tar_hashes,
)
from layerscope.layers.toc_read import index_from_toc
from layerscope.model import EntryKind, FileEntry
from tests import imagebuilder as ib
from tests.hostile import tarbytes as tb
from tests.tocformats import BlobRanges, to_estargz, to_zstd_chunked

GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
CAPTURING = ReadOptions(capture=PACKAGE_DATABASES)
BIG = bytes(range(256)) * 1024  # 262,144 bytes: four 64 KiB chunks
STATUS = b"Package: curl\nStatus: install ok installed\n"  # 43 bytes
LAYER = ib.layer_tar([
        ib.directory("etc"),
        ib.file("etc/hello", "hello" * 1000),            # 5,000
        ib.file("etc/empty"),                            # 0
        ib.symlink("etc/link", "h\u00e9llo"),            # target: 6 bytes in UTF-8
        ib.hardlink("etc/hard", "etc/hello"),            # 0
        ib.whiteout("usr/gone"),
        ib.opaque("var/cache"),
        ib.fifo("run/fifo"),
        ib.chardev("dev/null"),
        ib.file("var/lib/dpkg/status", STATUS),          # 43, captured
        ib.file("var/lib/dpkg/info/curl.list", ""),      # 0, captured
        ib.file("opt/" + "long/" * 40 + "name", "x"),    # 1, a PAX path
        ib.file("srv/owned", "y", uid=3_000_000, gid=70_000),  # 1, PAX uid and gid
        ib.file("big", BIG),                             # 262,144
])
LAYER_SIZE = 5000 + 6 + 43 + 1 + 1 + 262_144
"""The layer's size by DESIGN.md's rules, added by hand from the comments above."""
FORMATS = {
    "zstd:chunked": lambda tar: (ZSTD, *to_zstd_chunked(tar, chunk_size=64 << 10)),
    "zstd:chunked (skopeo 1.9)": lambda tar: (ZSTD, *to_zstd_chunked(tar, 64 << 10, "io.containers.")),
    "estargz": lambda tar: (GZIP, *to_estargz(tar, chunk_size=64 << 10)),
}


def whole(blob: bytes, options: ReadOptions = CAPTURING):
    """The tar reader's index of the blob, read whole."""
    return index_blob(io.BytesIO(blob), len(blob), options=options)


def hashed_the_tar_way(indexed, blob: bytes):
    """The TOC index with every digest-kind hash replaced by xxh3 of the file's fetched bytes."""
    indexes = sorted(indexed.content.pieces)
    sizes = [indexed.blob.entries[i].size for i in indexes]
    return with_tar_hashes(indexed.blob, indexes,
                           tar_hashes(BlobRanges(blob), indexed.content, indexes, sizes))


@pytest.mark.parametrize("name", FORMATS)
def test_toc_index_is_the_tar_index(name):
    media_type, blob, annotations = FORMATS[name](LAYER)
    indexed = index_from_toc(media_type, annotations, BlobRanges(blob), CAPTURING)
    expected = whole(blob)
    assert hashed_the_tar_way(indexed, blob).entries == expected.entries
    assert indexed.blob.size == expected.size
    assert indexed.blob.captured == expected.captured == {
        "/var/lib/dpkg/status": STATUS, "/var/lib/dpkg/info/curl.list": b""}
    extra = 0
    if name == "estargz":  # the landmark (1 byte) and the TOC's own member are layer members
        toc = expected.entries[-1]
        assert toc.path == "/stargz.index.json" and indexed.blob.entries[-1] == toc
        extra = 1 + toc.size
    assert indexed.blob.size == LAYER_SIZE + extra


@pytest.mark.parametrize("name", FORMATS)
def test_contents_are_known_by_digest_until_fetched(name):
    media_type, blob, annotations = FORMATS[name](LAYER)
    entries = {e.path: e for e in index_from_toc(media_type, annotations, BlobRanges(blob),
                                                 CAPTURING).blob.entries}
    sha = int(hashlib.sha256(BIG).hexdigest(), 16)
    assert entries["/big"].content_hash == TOC_HASH_BASE + sha
    assert is_digest_hash(entries["/big"].content_hash)
    assert entries["/etc/empty"].content_hash == EMPTY_HASH  # no bytes to fetch: the tar's hash
    status = entries["/var/lib/dpkg/status"].content_hash  # fetched to capture: the tar's hash
    assert status == whole(blob).entries[[e.path for e in whole(blob).entries].index(
        "/var/lib/dpkg/status")].content_hash and not is_digest_hash(status)


def test_zstd_chunked_fetches_its_manifest_alone():
    _, blob, annotations = FORMATS["zstd:chunked"](LAYER)
    reader = BlobRanges(blob)
    indexed = index_from_toc(ZSTD, annotations, reader, ReadOptions())
    length = int(annotations["io.github.containers.zstd-chunked.manifest-position"].split(":")[1])
    assert (reader.requests, reader.fetched) == (1, length)
    assert (indexed.requests, indexed.fetched) == (1, length)
    assert indexed.blob.captured == {}


def test_estargz_fetches_footer_and_toc_then_captured_files_in_one_request():
    _, blob, annotations = FORMATS["estargz"](LAYER)
    reader = BlobRanges(blob)
    index_from_toc(GZIP, annotations, reader, ReadOptions())
    toc_offset = int(blob[-35:-19], 16)
    assert (reader.requests, reader.fetched) == (2, 51 + len(blob) - 51 - toc_offset)
    reader = BlobRanges(blob)
    index_from_toc(GZIP, annotations, reader, CAPTURING)
    assert reader.requests == 3  # status is the one captured file with content


def test_a_layer_without_toc_is_none():
    plain = ib.compress(LAYER, "gzip")
    reader = BlobRanges(plain)
    assert index_from_toc(GZIP, {}, reader, CAPTURING) is None
    assert reader.requests == 1  # the footer, to look for an eStargz one
    assert index_from_toc(ZSTD, {}, BlobRanges(ib.compress(LAYER, "zstd")), CAPTURING) is None


@pytest.mark.parametrize("name", FORMATS)
def test_verify_reads_every_layer_whole(name):
    media_type, blob, annotations = FORMATS[name](LAYER)
    reader = BlobRanges(blob)
    assert index_from_toc(media_type, annotations, reader, ReadOptions(verify=True)) is None
    assert reader.requests == 0


class Failing(BlobRanges):
    """A transport that fails every range read."""

    def read_range(self, offset, length):
        raise SourceError("registry x answered 503")


@pytest.mark.parametrize("name", FORMATS)
def test_a_failing_range_read_of_a_promised_toc_is_the_readers_own_error(name):
    """The source decides which of its failures a whole read may get past."""
    media_type, blob, annotations = FORMATS[name](LAYER)
    with pytest.raises(SourceError, match="answered 503"):
        index_from_toc(media_type, annotations, Failing(blob), CAPTURING)


def test_a_footer_that_cannot_be_read_is_unusable():
    """No annotation promised a TOC: the whole read meets the failure on its own terms."""
    _, blob, _ = FORMATS["estargz"](LAYER)
    with pytest.raises(TocUnusable, match="footer could not be read: registry x answered 503"):
        index_from_toc(GZIP, {}, Failing(blob), CAPTURING)


def _tampered(annotations: dict, key_part: str) -> dict:
    return {k: ("sha256:" + "0" * 64 if key_part in k else v) for k, v in annotations.items()}


@pytest.mark.parametrize("name, key", [("zstd:chunked", "manifest-checksum"),
                                       ("zstd:chunked (skopeo 1.9)", "manifest-checksum"),
                                       ("estargz", "toc.digest")])
def test_toc_failing_its_digest_is_unusable(name, key):
    media_type, blob, annotations = FORMATS[name](LAYER)
    with pytest.raises(TocUnusable, match="does not match"):
        index_from_toc(media_type, _tampered(annotations, key), BlobRanges(blob), CAPTURING)


def test_zstd_chunked_without_checksum_is_unusable():
    _, blob, annotations = FORMATS["zstd:chunked"](LAYER)
    del annotations["io.github.containers.zstd-chunked.manifest-checksum"]
    with pytest.raises(TocUnusable, match="no manifest checksum"):
        index_from_toc(ZSTD, annotations, BlobRanges(blob), CAPTURING)


def test_estargz_found_by_footer_alone():
    _, blob, _ = FORMATS["estargz"](LAYER)
    indexed = index_from_toc(GZIP, {}, BlobRanges(blob), CAPTURING)
    assert hashed_the_tar_way(indexed, blob).entries == whole(blob).entries


def test_captured_content_that_lies_about_its_digest_is_unusable():
    tar = ib.layer_tar([ib.file("var/lib/dpkg/status", STATUS)])
    blob, annotations = to_zstd_chunked(tar)
    manifest_at = int(annotations["io.github.containers.zstd-chunked.manifest-position"].split(":")[0])
    import zstandard

    forged = zstandard.ZstdCompressor().compress(STATUS.replace(b"curl", b"wget"))
    start = blob.index(zstandard.ZstdCompressor(level=3).compress(STATUS))
    end = start + len(zstandard.ZstdCompressor(level=3).compress(STATUS))
    assert end < manifest_at and len(forged) <= end - start
    damaged = blob[:start] + forged + bytes(end - start - len(forged)) + blob[end:]
    with pytest.raises(TocUnusable, match="does not match its TOC digest"):
        index_from_toc(ZSTD, annotations, BlobRanges(damaged), CAPTURING)


def test_a_name_that_is_not_utf8_is_unusable():
    tar = tb.layer(tb.member(b"etc/caf\xe9", b"x"))
    for media_type, blob, named in (FORMATS["estargz"](tar), FORMATS["zstd:chunked"](tar)):
        with pytest.raises(TocUnusable, match="not UTF-8"):
            index_from_toc(media_type, named, BlobRanges(blob), CAPTURING)


def test_root_and_aufs_members_are_skipped_as_the_tar_reader_skips_them():
    tar = tb.layer(tb.member("./", type_flag=b"5"), tb.member(".wh..wh.plnk", type_flag=b"5"),
                   tb.member("./a/", type_flag=b"5"), tb.member("a/.wh..wh..opq"),
                   tb.member("a/.wh.b"))
    for name in FORMATS:
        media_type, blob, annotations = FORMATS[name](tar)
        indexed = index_from_toc(media_type, annotations, BlobRanges(blob), ReadOptions())
        assert hashed_the_tar_way(indexed, blob).entries == whole(blob).entries
        paths = [(e.path, e.kind) for e in indexed.blob.entries if e.path != "/.no.prefetch.landmark"]
        assert paths[:3] == [("/a", EntryKind.DIRECTORY), ("/a", EntryKind.OPAQUE),
                             ("/a/b", EntryKind.WHITEOUT)]


def test_a_toc_of_another_type_is_unusable():
    _, blob, annotations = FORMATS["zstd:chunked"](LAYER)
    position = "io.github.containers.zstd-chunked.manifest-position"
    annotations[position] = annotations[position].rsplit(":", 1)[0] + ":2"
    with pytest.raises(TocUnusable, match="type 2"):
        index_from_toc(ZSTD, annotations, BlobRanges(blob), CAPTURING)


def _file(path: str, size: int, content_hash: int) -> FileEntry:
    return FileEntry(path, EntryKind.FILE, size, 0o644, 0, 0, None, content_hash)


def test_tar_hashes_needed_only_where_kinds_meet_at_one_size():
    tar_kind, digest_kind = 12345, digest_hash("sha256:" + "ab" * 32)
    layers = [
        (_file("/mixed", 5, tar_kind), _file("/sizes", 5, tar_kind), _file("/both", 5, digest_kind),
         _file("/linked", 7, tar_kind)),
        (_file("/mixed", 5, digest_kind), _file("/sizes", 6, digest_kind),
         _file("/both", 5, digest_kind + 1), _file("/other", 7, digest_kind),
         FileEntry("/linked", EntryKind.HARDLINK, 0, 0o644, 0, 0, "/other")),
    ]
    # /mixed: same size, kinds differ; /sizes: sizes tell; /both: one kind; /linked: the hard
    # link shares /other's content, which meets the tar-kind /linked of layer 0
    assert tar_hashes_needed(layers) == {1: [0, 3]}


def test_tar_hashes_check_the_digest():
    media_type, blob, annotations = FORMATS["zstd:chunked"](LAYER)
    indexed = index_from_toc(media_type, annotations, BlobRanges(blob), ReadOptions())
    big = [i for i, e in enumerate(indexed.blob.entries) if e.path == "/big"]
    wrong = type(indexed.content)(indexed.content.codec, indexed.content.pieces,
                                  {big[0]: "sha256:" + "0" * 64})
    with pytest.raises(TocUnusable, match="does not match"):
        tar_hashes(BlobRanges(blob), wrong, big, [len(BIG)])


def test_converters_keep_the_layer():
    """The zstd:chunked blob decompresses to the very tar; the eStargz one to its members, the
    landmark first and the TOC last."""
    import zstandard

    blob, _ = to_zstd_chunked(LAYER)
    assert zstandard.ZstdDecompressor().stream_reader(io.BytesIO(blob), read_across_frames=True
                                                      ).read() == LAYER
    blob, annotations = to_estargz(LAYER)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as archive:
        names = archive.getnames()
        toc = archive.extractfile("stargz.index.json").read()
    assert names[0] == ".no.prefetch.landmark" and names[-1] == "stargz.index.json"
    digest = annotations["containerd.io/snapshot/stargz/toc.digest"]
    assert "sha256:" + hashlib.sha256(toc).hexdigest() == digest
    assert [e["name"] for e in json.loads(toc)["entries"] if e["type"] != "chunk"] == names[:-1]
