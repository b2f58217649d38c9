"""Index one layer's tar stream into FileEntry records, without extracting anything."""

from __future__ import annotations

import posixpath
import sys
import tarfile

import xxhash

from ..errors import LayerReadError
from ..model import EntryKind, FileEntry

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
READ_CHUNK = 1 << 20


def normalize_member_path(name: str) -> str:
    """Turn a tar member name into an absolute path; refuse names that climb out of the root."""
    depth = 0
    for part in name.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:  # normpath("/../x") is "/x", so this must be checked before it
                raise LayerReadError(f"member {name!r} escapes the image root")
        elif part not in ("", "."):
            depth += 1
    cleaned = posixpath.normpath("/" + name.lstrip("/"))
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return sys.intern(cleaned)


CAPTURE_LIMIT = 64 << 20
"""Largest package-database file kept in memory; a bigger one is indexed but not captured."""


def should_capture(path: str) -> bool:
    """Package databases whose content the analysis reads (dpkg, apt, Python, apk)."""
    return (path in ("/var/lib/dpkg/status", "/var/lib/apt/extended_states", "/lib/apk/db/installed")
            or (path.startswith("/var/lib/dpkg/info/") and path.endswith(".list"))
            or path.endswith(".dist-info/RECORD"))


def _hash_content(tar: tarfile.TarFile, member: tarfile.TarInfo, keep: bool) -> tuple[int, bytes | None]:
    digest = xxhash.xxh3_64()
    content = tar.extractfile(member)
    kept = bytearray() if keep else None
    if content is None:
        return digest.intdigest(), None
    while chunk := content.read(READ_CHUNK):
        digest.update(chunk)
        if kept is not None:
            kept += chunk
    return digest.intdigest(), None if kept is None else bytes(kept)


def _entry(tar: tarfile.TarFile, member: tarfile.TarInfo, captured: dict | None) -> FileEntry | None:
    path = normalize_member_path(member.name)
    directory, base = posixpath.split(path)
    if base.startswith(WHITEOUT_PREFIX):
        if base == OPAQUE_MARKER:
            return FileEntry(directory, EntryKind.OPAQUE, 0)
        if base.startswith(".wh..wh."):
            return None  # aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs), not a deletion
        return FileEntry(posixpath.join(directory, base[len(WHITEOUT_PREFIX):]), EntryKind.WHITEOUT, 0)
    if path == "/":
        return None
    ids = dict(mode=member.mode, uid=member.uid, gid=member.gid)
    if member.isreg():
        keep = captured is not None and member.size <= CAPTURE_LIMIT and should_capture(path)
        content_hash, content = _hash_content(tar, member, keep)
        if content is not None:
            captured[path] = content
        return FileEntry(path, EntryKind.FILE, member.size, content_hash=content_hash, **ids)
    if member.isdir():
        return FileEntry(path, EntryKind.DIRECTORY, 0, **ids)
    if member.issym():
        target = member.linkname
        size = len(target.encode("utf-8", "surrogateescape"))
        return FileEntry(path, EntryKind.SYMLINK, size, link_target=target, **ids)
    if member.islnk():
        return FileEntry(path, EntryKind.HARDLINK, 0, link_target=normalize_member_path(member.linkname), **ids)
    return FileEntry(path, EntryKind.OTHER, 0, **ids)


def index_layer(stream, captured: dict | None = None) -> tuple[tuple[FileEntry, ...], int]:
    """Read an uncompressed layer tar stream once; return its entries and its size in bytes.

    With `captured`, the content of package-database files (see should_capture) is stored in
    it by path, so packages can be attributed without a second read.
    """
    entries: list[FileEntry] = []
    try:
        with tarfile.open(fileobj=stream, mode="r|", encoding="utf-8", errors="surrogateescape") as tar:
            for member in tar:
                entry = _entry(tar, member, captured)
                if entry is not None:
                    entries.append(entry)
    except tarfile.ReadError as error:
        if not entries and "empty file" in str(error):
            return (), 0
        raise LayerReadError(f"layer tar is unreadable after {len(entries)} members: {error}") from error
    except (EOFError, tarfile.TarError) as error:
        raise LayerReadError(f"layer tar is truncated after {len(entries)} members: {error}") from error
    return tuple(entries), sum(entry.size for entry in entries)
