"""Index one layer's tar stream into FileEntry records, without extracting anything.

A small tar header reader of our own: `tarfile` builds a TarInfo and a file object per member,
which costs more than everything else layerscope does. This reader parses the 512-byte headers
(ustar, GNU long names, PAX records, GNU sparse), hashes regular files' content in place (no
copy when the whole layer is already in memory), and never writes anything.
"""

from __future__ import annotations

import posixpath
import struct

import xxhash

from ..errors import LayerReadError
from ..model import EntryKind, FileEntry
from .readahead import HEADROOM

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
READ_CHUNK = 4 << 20
"""Contents up to this size are hashed in one piece; larger ones stream through the window."""
WINDOW = 2 * READ_CHUNK
BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)
DEFER_OVER = 64 << 10
"""Regular files larger than this are skipped unread when the caller defers hashing: they hold
most of an image's bytes, and only the few at a path written twice need a hash."""
DEFERRING_READ = 1 << 20
"""Bytes read at a time when deferring: after a skipped file, read only what the next headers
and small files need."""
CAPTURE_LIMIT = 64 << 20
"""Largest package-database file kept in memory; a bigger one is indexed but not captured."""
PAX_LIMIT = 1 << 20
"""Largest PAX or GNU long-name record accepted: real ones are a few hundred bytes."""
MAX_MEMBER_SIZE = 1 << 50
"""Largest member size (or sparse real size) accepted: a pebibyte; anything larger is hostile."""

REGULAR_TYPES = frozenset(b"07\x00S")
SPARSE_TYPE = ord("S")
PAX_TYPE, LONG_NAME_TYPE, LONG_LINK_TYPE = ord("x"), ord("L"), ord("K")
EXTENDED_TYPES = frozenset(b"xgLK")
# Kinds are stored as the plain ints of EntryKind: they compare and hash equal to the members,
# and a plain tuple of plain values is what marshal writes to the cache in one C call.
FILE, DIRECTORY, SYMLINK, HARDLINK, WHITEOUT, OPAQUE, OTHER = map(int, EntryKind)
KINDS = {ord("5"): DIRECTORY, ord("2"): SYMLINK, ord("1"): HARDLINK, ord("3"): OTHER,
         ord("4"): OTHER, ord("6"): OTHER}
_hash = xxhash.xxh3_64_intdigest


NUL_SPACE = b"\0 "
CAPTURE_PREFIXES = ("/var/lib/", "/var/log/apt/", "/lib/apk/")
"""Every captured path starts so, or ends in /RECORD: a cheap first cut before should_capture."""


def should_capture(path: str) -> bool:
    """Package databases whose content the analysis reads (dpkg, apt, Python, apk).

    apt's eipp.log.xz keeps the Depends of packages removed in the same step (for the
    Recommends estimate); history.log names the packages each apt command installed."""
    return (path in ("/var/lib/dpkg/status", "/var/lib/apt/extended_states", "/lib/apk/db/installed",
                     "/var/log/apt/eipp.log.xz", "/var/log/apt/history.log")
            or (path.startswith("/var/lib/dpkg/info/") and path.endswith(".list"))
            or path.endswith(".dist-info/RECORD"))


def normalize_member_path(name: str) -> str:
    """Turn a tar member name into an absolute path; refuse names that climb out of the root."""
    plain = name.lstrip("/").removeprefix("./").rstrip("/")
    if "//" not in plain and "/." not in plain and not plain.startswith("."):
        return "/" + plain  # the common case, without the component walk
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
    return cleaned


def _number(field: bytes, what: str, offset: int) -> int:
    """A numeric header field: octal ASCII, or GNU base-256 when the high bit is set."""
    if field and field[0] & 0x80:
        value = int.from_bytes(field[1:], "big")
        if field[0] == 0xFF:
            value -= 1 << (8 * (len(field) - 1))
        return value  # a negative size is refused by index_layer, which knows the member name
    text = field.split(b"\0", 1)[0].strip()
    try:
        return int(text, 8) if text else 0
    except ValueError:
        raise LayerReadError(f"bad {what} field {text[:16]!r} in the tar header at byte {offset}") from None


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def pax_records(data: bytes, offset: int) -> dict[str, str]:
    records: dict[str, str] = {}
    position = 0
    while position < len(data):
        if data[position] == 0:
            break
        space = data.find(b" ", position)
        try:
            length = int(data[position:space])
        except ValueError:
            raise LayerReadError(f"malformed PAX record in the tar header at byte {offset}") from None
        if length <= 0 or space < 0 or position + length > len(data):
            raise LayerReadError(f"malformed PAX record in the tar header at byte {offset}")
        key, _, value = data[space + 1:position + length - 1].partition(b"=")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        position += length
    return records


class _Reader:
    """Bytes of the layer: a fixed window refilled from a stream (straight into it with
    readinto where the stream has it), blocks a ReadAhead thread filled, or one buffer holding
    the whole layer."""

    __slots__ = ("buffer", "position", "consumed", "_read", "_readinto", "_window", "_whole",
                 "_blocks", "_block", "_read_size", "_skip")

    def __init__(self, source, head: bytes = b"", read_size: int = WINDOW) -> None:
        self.position = 0
        self.consumed = 0  # bytes of the stream before buffer[0], for messages
        self._read = self._readinto = self._blocks = self._block = self._skip = None
        self._whole = isinstance(source, (bytes, bytearray, memoryview))
        if self._whole:
            self.buffer = memoryview(source)
        elif hasattr(source, "next_block"):
            self._blocks = source
            self.buffer = memoryview(source.head)
        else:
            self._window = memoryview(bytearray(WINDOW))
            self._window[:len(head)] = head
            self.buffer = self._window[:len(head)]
            self._read = source.read
            self._readinto = getattr(source, "readinto", None)
            self._read_size = read_size
            self._skip = getattr(source, "skip", None)

    def offset(self) -> int:
        return self.consumed + self.position

    def available(self) -> int:
        return len(self.buffer) - self.position

    def fill(self, wanted: int) -> bool:
        """Make `wanted` bytes (at most READ_CHUNK) available; False at the end."""
        while len(self.buffer) - self.position < wanted:
            if self._blocks is not None:
                if not self._next_block():
                    return False
                continue
            if self._read is None:
                return False
            rest = len(self.buffer) - self.position
            if rest:
                self._window[:rest] = bytes(self.buffer[self.position:])  # a copy: regions may overlap
            self.consumed += self.position
            self.position = 0
            free = self._window[rest:rest + max(self._read_size, wanted - rest)]
            if self._readinto is not None:
                count = self._readinto(free) or 0
            else:
                chunk = self._read(len(free))
                count = len(chunk)
                free[:count] = chunk
            self.buffer = self._window[:rest + count]
            if not count:
                return False
        return True

    def skip_unread(self, size: int) -> None:
        """Move `size` bytes on, reading none of them that are not in the buffer yet (the
        source seeks past them)."""
        available = len(self.buffer) - self.position
        if size <= available:
            self.position += size
            return
        skipped = self._skip(size - available)
        self.consumed += len(self.buffer) + skipped
        self.buffer = self._window[:0]
        self.position = 0
        if skipped < size - available:
            raise LayerReadError(f"layer tar is truncated in a member's content at byte {self.offset()}")

    def _next_block(self) -> bool:
        """Move on to the next read-ahead block, the unread rest of this one copied in front."""
        block, count = self._blocks.next_block()
        if not count:
            return False
        rest = self.buffer[self.position:]
        start = HEADROOM - len(rest)  # rest < what fill was asked for <= READ_CHUNK <= HEADROOM
        block[start:HEADROOM] = rest
        previous, self._block = self._block, block
        self.consumed += self.position
        self.position = 0
        self.buffer = block[start:HEADROOM + count]
        if previous is not None:
            self._blocks.recycle(previous)
        return True

    def take(self, size: int, what: str) -> bytes:
        if not self.fill(size):
            raise LayerReadError(f"layer tar is truncated in {what} at byte {self.offset()}")
        data = self.buffer[self.position:self.position + size]
        self.position += size
        return bytes(data)

    def content(self, size: int, keep: bool) -> tuple[int, bytes | None]:
        """Hash the next `size` bytes (and keep them when asked), then skip the padding."""
        padded = size + (-size % BLOCK)
        small = self._whole or padded <= READ_CHUNK  # big contents stream through
        if small and (self.fill(padded) or (self.fill(size) and self._whole)):
            data = self.buffer[self.position:self.position + size]
            self.position = min(self.position + padded, len(self.buffer))
            return _hash(data), bytes(data) if keep else None
        digest = xxhash.xxh3_64()
        kept = bytearray() if keep else None
        remaining = size
        while remaining:
            if self.available() == 0 and not self.fill(1):
                raise LayerReadError(f"layer tar is truncated in a member's content at byte {self.offset()}")
            piece = self.buffer[self.position:self.position + min(remaining, self.available())]
            digest.update(piece)
            if kept is not None:
                kept += piece
            self.position += len(piece)
            remaining -= len(piece)
        self.skip(padded - size)
        return digest.intdigest(), None if kept is None else bytes(kept)

    def skip(self, size: int) -> None:
        while size:
            if self.available() == 0 and not self.fill(1):
                raise LayerReadError(f"layer tar is truncated at byte {self.offset()}")
            step = min(size, self.available())
            self.position += step
            size -= step


USTAR = struct.Struct("100s8s8s8s12s12s8sB100s6s2s32s32s8s8s155s12x")
"""name, mode, uid, gid, size, mtime, checksum, type, linkname, magic, version, uname, gname,
devmajor, devminor, prefix: the 512-byte header, unpacked in one call."""


def _octal(field: bytes, what: str, offset: int) -> int:
    try:
        return int(field.rstrip(b"\0 ") or b"0", 8)  # the common case: NUL-ended octal
    except ValueError:
        return _number(field, what, offset)


MEMBER = struct.Struct("100s24s12s20xB100x6s249x")
"""name, mode+uid+gid, size, type and magic: the header fields read for every member, in one
call. The checksum, link name and prefix are sliced out only when a member needs them."""
CHECKSUM, LINK, PREFIX = slice(148, 156), slice(157, 257), slice(345, 500)
IDS_CACHE_LIMIT = 4096
"""Distinct mode/uid/gid fields remembered: a layer has a handful, and parsing three octal
numbers per member costs a sixth of the whole read of a million small files."""
_new_entry = tuple.__new__


def _ids(raw: bytes, offset: int) -> tuple[int, int, int]:
    """(mode, uid, gid) from the 24 bytes of the three fields."""
    return (_octal(raw[:8], "mode", offset), _octal(raw[8:16], "uid", offset),
            _octal(raw[16:], "gid", offset))


def index_layer(source, captured: dict | None = None, deferred: list | None = None,
                head: bytes = b"") -> tuple[tuple[FileEntry, ...], int]:
    """Read an uncompressed layer tar once; return its entries and its size in bytes.

    `source` is a stream with read(), or a buffer (bytes, memoryview) holding the whole layer;
    `head` is what was read of the stream before (to sniff its format). With `captured`, the
    content of package-database files (see should_capture) is stored in it by path, so
    packages can be attributed without a second read. With `deferred` (and a source that can
    skip()), regular files over DEFER_OVER bytes are not read: their content_hash is None and
    (entry index, content offset in the layer, size) is appended to `deferred`, for hashing
    later the few the analysis compares.
    """
    # The loop keeps the read position in a local and hands it to the reader only around its
    # own calls: a million small files make every attribute access of the common path count.
    if deferred is not None:
        reader = _Reader(source, head, DEFERRING_READ)
    else:
        reader = _Reader(source, head)
    entries: list[FileEntry] = []
    append = entries.append
    unpack = MEMBER.unpack_from
    ids_seen: dict[bytes, tuple[int, int, int]] = {}
    total = 0
    long_name: str | None = None
    long_link: str | None = None
    pax: dict[str, str] = {}
    buffer = reader.buffer
    position = 0
    while True:
        if len(buffer) - position < BLOCK:
            reader.position = position
            start = reader.offset()
            if not reader.fill(BLOCK):
                if reader.available() == 0 and (entries or start == 0):
                    break  # end of data without end-of-archive blocks: Docker's own tars end so
                raise LayerReadError(f"layer tar is truncated in a header at byte {start}")
            position, buffer = reader.position, reader.buffer
        header = position
        raw_name, raw_ids, raw_size, type_flag, magic = unpack(buffer, header)
        position += BLOCK
        if magic[:5] != b"ustar":
            if buffer[header:position] == ZERO_BLOCK:
                break
            start = reader.consumed + header
            block = bytes(buffer[header:position])  # pre-POSIX: only the checksum vouches
            try:
                checksum = _number(block[CHECKSUM], "checksum", start)
            except LayerReadError:
                checksum = -1
            if checksum != sum(block[:148]) + 256 + sum(block[156:]):
                raise LayerReadError(f"layer tar is unreadable: no valid tar header at byte {start}")
        try:  # the common case: eleven octal digits and a NUL (or a space, or twelve digits)
            size = int(raw_size[:11] if raw_size[11] == 0 else raw_size, 8)
        except ValueError:  # shorter fields, base-256 numbers, junk: the careful path
            size = _octal(raw_size, "size", reader.consumed + header)
        ids = ids_seen.get(raw_ids)
        if ids is None:
            ids = _ids(raw_ids, reader.consumed + header)
            if len(ids_seen) < IDS_CACHE_LIMIT:
                ids_seen[raw_ids] = ids
        if type_flag in EXTENDED_TYPES:
            start = reader.consumed + header
            if not 0 <= size <= PAX_LIMIT:
                raise LayerReadError(f"oversized extended header ({size} bytes) at byte {start}")
            reader.position = position
            data = reader.take(size, "an extended header")
            reader.skip(-size % BLOCK)
            position, buffer = reader.position, reader.buffer
            if type_flag == PAX_TYPE:
                pax = pax_records(data, start)
            elif type_flag == LONG_NAME_TYPE:
                long_name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            elif type_flag == LONG_LINK_TYPE:
                long_link = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            continue  # a global header ("g") changes nothing we read
        mode, uid, gid = ids
        link = None
        real_size = size
        if long_name is not None or long_link is not None or pax or type_flag == SPARSE_TYPE:
            start = reader.consumed + header
            block = bytes(buffer[header:header + BLOCK])
            name = long_name or pax.get("path") or _ustar_name(raw_name, magic, block)
            link = long_link or pax.get("linkpath")
            if "size" in pax:
                size = real_size = _parse_pax_size(pax["size"], start)
            if type_flag == SPARSE_TYPE:
                real_size = _number(block[483:495], "sparse size", start)
                extended = block[482]
                reader.position = position
                while extended:  # old GNU sparse maps continue in extension blocks
                    extended = reader.take(BLOCK, "a sparse map")[504]
                position, buffer = reader.position, reader.buffer
            if "GNU.sparse.realsize" in pax or "GNU.sparse.size" in pax:
                real_size = _parse_pax_size(pax.get("GNU.sparse.realsize", pax.get("GNU.sparse.size")),
                                            start)
            if "uid" in pax:
                uid = _pax_id(pax["uid"], "uid", start)
            if "gid" in pax:
                gid = _pax_id(pax["gid"], "gid", start)
            pax = {}
            long_name = long_link = None
            if not (0 <= size <= MAX_MEMBER_SIZE and 0 <= real_size <= MAX_MEMBER_SIZE):
                _refuse_size(name, real_size if 0 <= size <= MAX_MEMBER_SIZE else size, start)
        else:
            name = raw_name.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            if buffer[header + 345] and magic == b"ustar\0":
                name = _text(bytes(buffer[header:header + BLOCK])[PREFIX]) + "/" + name
            if not 0 <= size <= MAX_MEMBER_SIZE:
                _refuse_size(name, size, reader.consumed + header)

        plain = name.rstrip("/")
        if plain[:2] == "./":
            plain = plain[2:]
        if plain and plain[0] not in "./" and "//" not in plain and "/." not in plain:
            path = "/" + plain  # the common case of normalize_member_path, inline
        else:
            path = normalize_member_path(name)
        regular = type_flag in REGULAR_TYPES or type_flag not in KINDS
        if ".wh." in path:
            directory, _, base = path.rpartition("/")
            if base.startswith(WHITEOUT_PREFIX):
                if regular:
                    position = _skip(reader, position, size + (-size % BLOCK))
                    buffer = reader.buffer
                if base == OPAQUE_MARKER:
                    append(FileEntry(directory or "/", OPAQUE, 0))
                elif not base.startswith(".wh..wh."):  # .wh..wh.plnk and such: aufs bookkeeping
                    append(FileEntry(directory + "/" + base[4:], WHITEOUT, 0))
                continue
        if path == "/":
            if regular:
                position = _skip(reader, position, size + (-size % BLOCK))
                buffer = reader.buffer
            continue
        if regular:
            keep = (captured is not None and size <= CAPTURE_LIMIT
                    and (path[-7:] == "/RECORD" or path.startswith(CAPTURE_PREFIXES))
                    and should_capture(path))
            padded = size + (-size % BLOCK)
            if not keep and position + padded <= len(buffer):  # all of it in the window
                content_hash = _hash(buffer[position:position + size])
                position += padded
            elif deferred is not None and not keep and size > DEFER_OVER:
                deferred.append((len(entries), reader.consumed + position, size))
                content_hash = None
                reader.position = position
                reader.skip_unread(padded)
                position, buffer = reader.position, reader.buffer
            else:
                reader.position = position
                content_hash, content = reader.content(size, keep)
                position, buffer = reader.position, reader.buffer
                if content is not None:
                    captured[path] = content
            if type_flag in REGULAR_TYPES:
                append(_new_entry(FileEntry, (path, FILE, real_size, mode, uid, gid, None, content_hash)))
                total += real_size
            else:
                append(FileEntry(path, OTHER, 0, mode, uid, gid))
            continue
        kind = KINDS[type_flag]
        if link is None:
            link = _text(bytes(buffer[header:header + BLOCK])[LINK])
        if kind == SYMLINK:
            target_size = len(link.encode("utf-8", "surrogateescape"))
            append(FileEntry(path, kind, target_size, mode, uid, gid, link))
            total += target_size
        elif kind == HARDLINK:
            append(FileEntry(path, kind, 0, mode, uid, gid, normalize_member_path(link)))
        else:
            append(FileEntry(path, kind, 0, mode, uid, gid))
    return tuple(entries), total


def _ustar_name(raw_name: bytes, magic: bytes, block: bytes) -> str:
    name = _text(raw_name)
    if block[345] and magic == b"ustar\0":
        name = _text(block[PREFIX]) + "/" + name
    return name


def _skip(reader: _Reader, position: int, size: int) -> int:
    """Skip `size` bytes from `position`; the new position (the reader's buffer may change)."""
    reader.position = position
    reader.skip(size)
    return reader.position


def _parse_pax_size(value: str, offset: int) -> int:
    try:
        return int(value)  # a negative or absurd one is refused with the member's name
    except ValueError:
        raise LayerReadError(f"bad PAX size {value[:20]!r} at byte {offset}") from None


def _pax_id(value: str, what: str, offset: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise LayerReadError(f"bad PAX {what} {value[:20]!r} at byte {offset}") from None


def _refuse_size(name: str, size: int, offset: int):
    kind = "negative" if size < 0 else "absurd"
    raise LayerReadError(f"{kind} size {size} in the tar header of member {name[:200]!r} "
                         f"at byte {offset}")
