"""The layer reader against Python's tarfile, on generated layers.

Hypothesis writes layer tars with tarfile itself (ustar, GNU and PAX formats), plus members made
by hand that tarfile only reads: base-256 size, uid and gid fields, old-GNU sparse files and PAX
sparse files of format 1.0. Every member type, names long enough for the ustar prefix, GNU long
names and PAX paths, non-ASCII names and links. layers/tarindex.py indexes each layer, and every
entry must say what tarfile reads from the same bytes: path, kind, size, link target, mode, uid,
gid and, for a plain regular file, the hash of its content. (tests/layers/test_tarheader.py holds
the header parser alone to tarfile; this is the whole reader.)
"""

from __future__ import annotations

import io
import tarfile

import xxhash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layerscope.layers.tarindex import index_layer, normalize_member_path
from layerscope.model import EntryKind
from tests.hostile import tarbytes as tb

BLOCK = 512
FORMATS = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}
KINDS = {tarfile.REGTYPE: EntryKind.FILE, tarfile.AREGTYPE: EntryKind.FILE,
         tarfile.CONTTYPE: EntryKind.FILE, tarfile.GNUTYPE_SPARSE: EntryKind.FILE,
         tarfile.DIRTYPE: EntryKind.DIRECTORY,
         tarfile.SYMTYPE: EntryKind.SYMLINK, tarfile.LNKTYPE: EntryKind.HARDLINK,
         tarfile.CHRTYPE: EntryKind.OTHER, tarfile.BLKTYPE: EntryKind.OTHER,
         tarfile.FIFOTYPE: EntryKind.OTHER}
UNKNOWN_TYPES = [b"V", b"M", b"N", b"A", b"Z"]
"""Types tarfile and Go know nothing of: content follows, as for a regular file; indexed as OTHER."""

ALPHABET = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_+@ éßж日")
COMPONENT = st.text(ALPHABET, min_size=1, max_size=12)
NAMES = st.one_of(st.lists(COMPONENT, min_size=1, max_size=4),
                  st.lists(st.text(ALPHABET, min_size=30, max_size=60), min_size=3, max_size=6)
                  ).map("/".join)
"""Relative names, half of them over 100 bytes (the ustar prefix, GNU long names, PAX paths)."""


@st.composite
def members(draw, earlier: list[str]):
    """(TarInfo, content) of one member; `earlier` names hard-link targets."""
    kind = draw(st.sampled_from(["file", "file", "file", "dir", "symlink", "hardlink", "char",
                                 "block", "fifo", "cont", "unknown", "whiteout", "opaque"]))
    name = draw(NAMES)
    if draw(st.booleans()):
        name = "./" + name  # as GNU tar writes names
    info = tarfile.TarInfo(name)
    info.mode = draw(st.integers(0, 0o7777))
    info.uid = draw(st.one_of(st.integers(0, 0o7777777), st.integers(0, 2**31)))
    info.gid = draw(st.one_of(st.integers(0, 0o7777777), st.integers(0, 2**31)))
    info.mtime = draw(st.integers(0, 2**33))
    content = b""
    if kind in ("file", "cont", "unknown"):
        content = draw(st.binary(max_size=1500))
        info.type = {"file": tarfile.REGTYPE, "cont": tarfile.CONTTYPE,
                     "unknown": draw(st.sampled_from(UNKNOWN_TYPES))}[kind]
    elif kind == "dir":
        info.type = tarfile.DIRTYPE
    elif kind == "symlink":
        info.type, info.linkname = tarfile.SYMTYPE, draw(st.one_of(NAMES, NAMES.map("/".__add__)))
    elif kind == "hardlink":
        info.type = tarfile.LNKTYPE
        info.linkname = draw(st.sampled_from(earlier)) if earlier else draw(NAMES)
    elif kind in ("char", "block", "fifo"):
        info.type = {"char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE,
                     "fifo": tarfile.FIFOTYPE}[kind]
        info.devmajor, info.devminor = draw(st.integers(0, 255)), draw(st.integers(0, 255))
    else:  # whiteout markers: empty regular files with special names
        directory = name.rpartition("/")[0]
        base = ".wh..wh..opq" if kind == "opaque" else ".wh." + draw(COMPONENT)
        info.name = f"{directory}/{base}" if directory else base
        info.type = tarfile.REGTYPE
    info.size = len(content)
    return info, content


def header_with(block: bytes, **fields: bytes) -> bytes:
    """A header block with fields replaced (size, uid, gid) and its checksum made good again."""
    offsets = {"size": 124, "uid": 108, "gid": 116}
    block = bytearray(block)
    for name, value in fields.items():
        block[offsets[name]:offsets[name] + len(value)] = value
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def base256(value: int, width: int) -> bytes:
    """GNU's base-256 number: the high bit of the first byte set, then big-endian."""
    return bytes([0x80]) + value.to_bytes(width - 1, "big")


def old_gnu_sparse(name: str, data: bytes, real_size: int) -> bytes:
    """An old-GNU sparse member ('S'): `data` stored at the start of a file of `real_size`."""
    def octal(value: int) -> bytes:
        return b"%011o\0" % value

    sparse_map = octal(0) + octal(len(data))
    block = tb.header(name, size=len(data), type_flag=b"S",
                      extra={257: b"ustar  \0", 386: sparse_map, 482: b"\0", 483: octal(real_size)})
    return block + tb.padded(data)


def pax_sparse_10(name: str, data: bytes, real_size: int) -> bytes:
    """A PAX sparse file of format 1.0: the map in the first block of the content."""
    sparse_map = tb.padded(b"1\n0\n%d\n" % len(data))
    records = tb.pax({"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": name,
                      "GNU.sparse.realsize": str(real_size)})
    stored = sparse_map + data
    directory, _, base = name.rpartition("/")
    placeholder = f"{directory}/GNUSparseFile.0/{base}" if directory else f"GNUSparseFile.0/{base}"
    return records + tb.header(placeholder, size=len(stored)) + tb.padded(stored)


@st.composite
def layers(draw):
    """(format name, the layer's bytes)."""
    fmt = draw(st.sampled_from(sorted(FORMATS)))
    chunks, names = [], []
    for _ in range(draw(st.integers(1, 12))):
        special = draw(st.sampled_from([None] * 6 + ["base256", "old-sparse", "pax-sparse"]))
        if special in ("old-sparse", "pax-sparse"):
            name, data = draw(NAMES), draw(st.binary(max_size=1200))
            real_size = len(data) + draw(st.integers(0, 1 << 40))
            write = old_gnu_sparse if special == "old-sparse" else pax_sparse_10
            chunks.append(write(name, data, real_size))
            names.append(name)
            continue
        info, content = draw(members(names))
        try:
            blocks = info.tobuf(FORMATS[fmt], "utf-8", "surrogateescape")
        except ValueError:  # ustar cannot hold the name, link, uid, gid or time: not this member
            if fmt != "ustar":
                raise
            continue
        if special == "base256":
            blocks = blocks[:-BLOCK] + header_with(
                blocks[-BLOCK:], size=base256(len(content), 12), uid=base256(info.uid, 8),
                gid=base256(info.gid, 8))
        chunks.append(blocks + tb.padded(content))
        names.append(info.name)
    ending = draw(st.sampled_from([bytes(1024), bytes(BLOCK), b""]))
    return fmt, b"".join(chunks) + ending


def expected_entries(data: bytes) -> list[tuple]:
    """What each member is, as tarfile reads the layer, in the reader's terms."""
    if not data:  # every member skipped and no end blocks: tarfile refuses an empty file,
        return []  # Go's reader (Docker's) and ours read a layer of no members
    expected = []
    with tarfile.open(fileobj=io.BytesIO(data), encoding="utf-8", errors="surrogateescape") as tar:
        for member in tar:
            path = normalize_member_path(member.name)
            directory, _, base = path.rpartition("/")
            if base.startswith(".wh."):
                if base == ".wh..wh..opq":
                    expected.append((directory or "/", EntryKind.OPAQUE, 0, 0, 0, 0, None, None))
                elif not base.startswith(".wh..wh."):
                    expected.append((f"{directory}/{base[4:]}", EntryKind.WHITEOUT, 0, 0, 0, 0,
                                     None, None))
                continue
            if path == "/":
                continue
            kind = KINDS.get(member.type, EntryKind.OTHER)
            size, link, content_hash = 0, None, None
            if kind == EntryKind.FILE:
                size = member.size  # a sparse file's real size
                if not member.issparse() and "GNU.sparse.major" not in member.pax_headers:
                    content_hash = xxhash.xxh3_64_intdigest(tar.extractfile(member).read())
            elif kind == EntryKind.SYMLINK:
                link = member.linkname
                size = len(link.encode("utf-8", "surrogateescape"))
            elif kind == EntryKind.HARDLINK:
                link = normalize_member_path(member.linkname)
            expected.append((path, kind, size, member.mode, member.uid, member.gid, link,
                             content_hash))
    return expected


def indexed_entries(data: bytes) -> list[tuple]:
    entries, size = index_layer(io.BytesIO(data))
    assert size == sum(e.size for e in entries)
    assert index_layer(data) == (entries, size)  # the whole layer in memory reads alike
    return [(e.path, e.kind, e.size, e.mode, e.uid, e.gid, e.link_target, e.content_hash)
            for e in entries]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers())
def test_the_reader_indexes_a_layer_as_tarfile_reads_it(layer):
    _, data = layer
    expected, indexed = expected_entries(data), indexed_entries(data)
    assert len(indexed) == len(expected)
    for read, wanted in zip(indexed, expected):
        if wanted[1] == EntryKind.FILE and wanted[7] is None:
            read = read[:7] + (None,)  # sparse: hashed as stored, tarfile gives the holes back
        assert read == wanted
