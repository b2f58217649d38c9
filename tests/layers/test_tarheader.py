"""The one tar header parser: against Python's tarfile on generated headers of every type flag,
and the layer indexer's inline fast paths and the outer archive reader held to it."""

import io
import tarfile

import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from layerscope.errors import LayerReadError
from layerscope.layers import tarindex
from layerscope.layers.tarheader import (
    BLOCK,
    EXTENDED_TYPES,
    HEADER_ONLY_TYPES,
    REGULAR_TYPES,
    SPARSE_TYPE,
    Extensions,
    has_content,
    is_header,
    number,
    parse_header,
)
from layerscope.layers.tarindex import index_layer
from layerscope.model import EntryKind
from layerscope.sources.outer_tar import read_archive

MEMBER_TYPES = [bytes([flag]) for flag in range(256) if flag not in EXTENDED_TYPES]
"""Every type flag a member header may carry (the extended ones describe the next member)."""
FORMATS = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}
CONTENT = bytes(range(256)) * 3  # 768 bytes: a partial last block


def info(name: str, type_flag: bytes, size: int = 0, link: str = "") -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type, member.size, member.linkname = type_flag, size, link
    member.mode, member.uid, member.gid = 0o640, 1000, 50
    return member


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("type_flag", MEMBER_TYPES, ids=repr)
def test_a_header_reads_as_tarfile_reads_it(fmt, type_flag):
    long = "usr/share/" + "d" * 90 + "/" + "f" * 60  # over 100 bytes: the ustar prefix is used
    for name, size, link in (("etc/hosts", 5, ""), (long, 0o77777777777 + 1, "../target"),
                             ("a/b", 0, "x" * 100)):
        if fmt == "ustar" and size >= 8 ** 11:
            continue  # ustar cannot write it; GNU (base-256) and PAX can
        blocks = info(name, type_flag, size, link).tobuf(FORMATS[fmt], "utf-8", "surrogateescape")
        block = blocks[-BLOCK:]  # long names and PAX records come in blocks before it
        expected = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        assert is_header(block)
        header = parse_header(block, 0)
        name = header.name.rstrip("/") if expected.isdir() else header.name  # tarfile strips it
        assert (name, header.type_flag, header.size, header.link) == (
            expected.name, type_flag[0], expected.size, expected.linkname)


def test_a_pre_posix_header_is_vouched_for_by_its_checksum_alone():
    block = bytearray(info("old", b"0", 3).tobuf(tarfile.USTAR_FORMAT))
    block[257:265] = bytes(8)  # no magic, as V7 tar wrote
    block[148:156] = b"%06o\0 " % (sum(block[:148]) + 256 + sum(block[156:]))
    assert is_header(bytes(block))
    block[0] ^= 1
    assert not is_header(bytes(block))


def test_header_only_types_are_the_kinds_the_indexer_knows():
    assert set(tarindex.KINDS) == HEADER_ONLY_TYPES
    assert [chr(t) for t in sorted(REGULAR_TYPES)] == ["\0", "0", "7"]  # as Go's archive/tar
    assert has_content(SPARSE_TYPE) and has_content(ord("V")) and not has_content(ord("5"))


def archive_of_every_type(fmt: int) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A tar with a member of every type flag, each with a size field of len(CONTENT) (followed
    by that content where the type has content) and then a regular sentinel file."""
    buffer = io.BytesIO()
    sentinels = []
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for type_flag in MEMBER_TYPES:
            flag = type_flag[0]
            member = info(f"m/{flag:03d}", type_flag, len(CONTENT), "m/target")
            # a header-only type gets the size field but no content: readers must not skip any
            tar.addfile(member, io.BytesIO(CONTENT) if has_content(flag) else None)
            sentinel = (f"s/{flag:03d}", b"after %d" % flag)
            tar.addfile(info(sentinel[0], b"0", len(sentinel[1])), io.BytesIO(sentinel[1]))
            sentinels.append(sentinel)
    return buffer.getvalue(), sentinels


@pytest.mark.parametrize("fmt", FORMATS)
def test_both_readers_stay_in_step_after_a_member_of_every_type(fmt):
    data, sentinels = archive_of_every_type(FORMATS[fmt])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:  # the reference reads it in step too
        names = tar.getnames()
        assert all(name in names for name, _ in sentinels)

    entries, _ = index_layer(io.BytesIO(data))
    by_path = {e.path: e for e in entries}
    for name, content in sentinels:
        assert by_path["/" + name].content_hash == xxhash.xxh3_64_intdigest(content)
    for type_flag in MEMBER_TYPES:
        flag = type_flag[0]
        entry = by_path[f"/m/{flag:03d}"]
        if flag in REGULAR_TYPES:
            assert (entry.kind, entry.size) == (EntryKind.FILE, len(CONTENT))
            assert entry.content_hash == xxhash.xxh3_64_intdigest(CONTENT)
        elif flag == SPARSE_TYPE:
            assert entry.kind == EntryKind.FILE  # its real size is in the sparse fields: 0 here
        elif flag in HEADER_ONLY_TYPES:
            assert entry.kind == tarindex.KINDS[flag]
        else:
            assert (entry.kind, entry.size) == (EntryKind.OTHER, 0)

    archive = read_archive(io.BytesIO(data), "image.tar")
    for name, content in sentinels:
        assert archive.raw(name) == content
    taken = {name for name in archive.documents if name.startswith("m/")}
    assert taken == {f"m/{flag:03d}" for flag in REGULAR_TYPES}


OCTAL = st.integers(0, 4096).flatmap(lambda n: st.sampled_from([
    b"%011o\0" % n, b"%011o " % n, b"%012o" % n, b"%o\0" % n, b" %o \0" % n, b"%06o  " % n]))
BASE256 = st.integers(-(1 << 40), 1 << 40).map(lambda n: (n % (1 << 95) | (1 << 95)).to_bytes(12, "big")
                                                if n >= 0 else (n % (1 << 96)).to_bytes(12, "big"))
SIZE_FIELDS = st.one_of(OCTAL, BASE256, st.binary(min_size=12, max_size=12)).map(
    lambda field: field.ljust(12, b"\0")[:12])


def member_with_size_field(field: bytes, content: bytes) -> bytes:
    block = bytearray(info("f", b"0", 0).tobuf(tarfile.USTAR_FORMAT))
    block[124:136] = field
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    sentinel = info("next", b"0", 2).tobuf(tarfile.USTAR_FORMAT) + b"ok".ljust(BLOCK, b"\0")
    return bytes(block) + content + bytes(-len(content) % BLOCK) + sentinel + bytes(1024)


@settings(max_examples=300, deadline=None)
@given(SIZE_FIELDS)
def test_the_indexers_inline_size_parse_agrees_with_the_shared_one(field):
    try:
        expected = number(field, "size", 0)
    except LayerReadError:
        expected = None
    if expected is None or expected < 0:  # not a number, or a negative size: refused
        with pytest.raises(LayerReadError):
            index_layer(io.BytesIO(member_with_size_field(field, b"")))
        return
    if expected > 4096:
        return  # too big to write out here
    entries, size = index_layer(io.BytesIO(member_with_size_field(field, b"x" * expected)))
    assert [(e.path, e.size) for e in entries] == [("/f", expected), ("/next", 2)]


COMPONENTS = st.text(st.characters(codec="utf-8", exclude_characters="\0/"), min_size=1,
                     max_size=60).filter(lambda part: not part.startswith("."))
"""Path components with no meaning of their own (no ".", "..", whiteouts)."""


@settings(max_examples=200, deadline=None)
@given(COMPONENTS, COMPONENTS, st.sampled_from([b"ustar\x0000", b"ustar  \0"]))
def test_the_indexers_inline_name_agrees_with_the_shared_one(directory, base, magic):
    block = bytearray(info("x", b"0", 0).tobuf(tarfile.USTAR_FORMAT))
    name, prefix = base.encode()[:100], directory.encode()[:155]
    block[0:100] = name.ljust(100, b"\0")
    block[345:500] = prefix.ljust(155, b"\0")
    block[257:265] = magic
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    expected = parse_header(bytes(block), 0).name
    entries, _ = index_layer(io.BytesIO(bytes(block) + bytes(1024)))
    assert entries[0].path == tarindex.normalize_member_path(expected)


def test_a_long_name_wins_over_a_pax_path_which_wins_over_the_header():
    extensions = Extensions()
    assert (extensions.member_name("h"), extensions.member_link("l")) == ("h", "l")
    extensions.read(ord("x"), b"14 path=p/pax\n19 linkpath=p/link\n", 0)
    assert (extensions.member_name("h"), extensions.member_link("l")) == ("p/pax", "p/link")
    extensions.read(ord("L"), b"long/name\0", 0)
    extensions.read(ord("K"), b"long/link\0junk", 0)
    assert (extensions.member_name("h"), extensions.member_link("l")) == ("long/name", "long/link")
    extensions.clear()
    assert (extensions.member_name("h"), extensions.member_link(None)) == ("h", None)
    extensions.read(ord("x"), b"26 GNU.sparse.name=sparse\n14 path=p/pax\n", 0)
    assert extensions.member_name("GNUSparseFile.0/sparse") == "sparse"  # as Go names it
