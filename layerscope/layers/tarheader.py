"""The tar header format, decoded in one place for both readers of tars: the outer archive reader
(sources/outer_tar.py) and the layer indexer (layers/tarindex.py).

Field decoding (octal and GNU base-256 numbers, the ustar name prefix, the checksum of pre-POSIX
headers), GNU long names and links, PAX records, and which type flags carry content, following
Go's archive/tar (what Docker writes and reads layers with): '0', '\\0' and '7' are regular
files; '1' to '6' are header-only whatever their size field says; any other type carries `size`
bytes of content that a reader must skip to stay in step. The layer indexer's hot loop inlines
the common case of a few of these (tests/layers/test_tarheader.py holds it to this module).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..errors import LayerReadError

BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)
PAX_LIMIT = 1 << 20
"""Largest PAX or GNU long-name record accepted: real ones are a few hundred bytes."""

REGULAR_TYPES = frozenset(b"0\x007")
"""Regular files, as in Go's archive/tar (TypeReg, TypeRegA, TypeCont)."""
SPARSE_TYPE = ord("S")
"""An old-GNU sparse file: a regular file whose content is stored without its holes."""
HEADER_ONLY_TYPES = frozenset(b"123456")
"""Hard link, symlink, character and block device, directory, FIFO: never any content."""
PAX_TYPE, GLOBAL_TYPE, LONG_NAME_TYPE, LONG_LINK_TYPE = ord("x"), ord("g"), ord("L"), ord("K")
EXTENDED_TYPES = frozenset((PAX_TYPE, GLOBAL_TYPE, LONG_NAME_TYPE, LONG_LINK_TYPE))
"""Headers whose content describes the next member rather than being one."""

USTAR = struct.Struct("100s8s8s8s12s12s8sB100s6s2s32s32s8s8s155s12x")
"""name, mode, uid, gid, size, mtime, checksum, type, linkname, magic, version, uname, gname,
devmajor, devminor, prefix: the 512-byte header, unpacked in one call."""
MEMBER = struct.Struct("100s24s12s20xB100x6s249x")
"""name, mode+uid+gid, size, type and magic: the fields the layer indexer reads for every member,
in one call; the rest are sliced out only when a member needs them."""
CHECKSUM, LINK, MAGIC, PREFIX = slice(148, 156), slice(157, 257), slice(257, 263), slice(345, 500)
PREFIX_START = 345
POSIX_MAGIC = b"ustar\0"
"""Only POSIX ustar headers have a name prefix; GNU's ("ustar  ") keeps times there."""
SPARSE_REAL_SIZE, SPARSE_EXTENDED, SPARSE_MORE = slice(483, 495), 482, 504
"""Old-GNU sparse header: the file's real size, whether extension blocks follow, and (in an
extension block) whether yet another follows."""


def has_content(type_flag: int) -> bool:
    """Whether a member of this type is followed by `size` bytes (padded to a block)."""
    return type_flag not in HEADER_ONLY_TYPES


def number(field: bytes, what: str, offset: int) -> int:
    """A numeric header field: octal ASCII (NUL- or space-ended, or filling the field), or GNU
    base-256 when the high bit of the first byte is set (negative when it is 0xFF)."""
    try:
        return int(field.rstrip(b"\0 ") or b"0", 8)  # the common case: NUL-ended octal
    except ValueError:
        pass
    if field and field[0] & 0x80:
        value = int.from_bytes(field[1:], "big")
        if field[0] == 0xFF:
            value -= 1 << (8 * (len(field) - 1))
        return value  # a negative size is refused by the reader, which knows the member name
    text = field.split(b"\0", 1)[0].strip()
    try:
        return int(text, 8) if text else 0
    except ValueError:
        raise LayerReadError(f"bad {what} field {text[:16]!r} in the tar header at byte {offset}") from None


def ids(field: bytes, offset: int) -> tuple[int, int, int]:
    """(mode, uid, gid) from the 24 bytes of the three fields."""
    return (number(field[:8], "mode", offset), number(field[8:16], "uid", offset),
            number(field[16:24], "gid", offset))


def text(field: bytes) -> str:
    """A NUL-ended string field; bytes that are not UTF-8 survive as surrogates."""
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def is_header(block: bytes) -> bool:
    """Whether a block is a tar header: ustar magic (POSIX or GNU), or else a checksum that adds
    up (pre-POSIX tars have nothing else to vouch for them)."""
    if block[MAGIC][:5] == b"ustar":
        return True
    try:
        checksum = number(block[CHECKSUM], "checksum", 0)
    except LayerReadError:
        return False
    return checksum == sum(block[:148]) + 256 + sum(block[156:])


def member_name(block: bytes) -> str:
    """The name field, joined to the ustar prefix where a POSIX header has one."""
    name = text(block[:100])
    if block[PREFIX_START] and block[MAGIC] == POSIX_MAGIC:
        name = text(block[PREFIX]) + "/" + name
    return name


@dataclass(frozen=True, slots=True)
class Header:
    """The fields of one header that say what a member is and where the next one starts."""

    name: str
    """Member name as written (ustar prefix joined)."""
    type_flag: int
    """The type byte."""
    size: int
    """The size field: bytes of content that follow (for types that have content)."""
    link: str
    """The link name field."""


def parse_header(block: bytes, offset: int) -> Header:
    """Decode a block that is_header accepted; a size that is not a number is a LayerReadError
    (`offset` is the block's, for the message)."""
    return Header(member_name(block), block[156], number(block[124:136], "size", offset),
                  text(block[LINK]))


def pax_records(data: bytes, offset: int) -> dict[str, str]:
    """The "LENGTH KEY=VALUE\\n" records of a PAX header's content."""
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


def pax_number(value: str, what: str, offset: int) -> int:
    """A decimal PAX value (size, uid, gid); a negative or absurd one is the reader's to refuse."""
    try:
        return int(value)
    except ValueError:
        raise LayerReadError(f"bad PAX {what} {value[:20]!r} at byte {offset}") from None


@dataclass(slots=True)
class Extensions:
    """What the extended headers before a member said about it: a GNU long name or link, PAX
    records. Cleared once the member they describe is read."""

    name: str | None = None
    """A GNU long name ('L')."""
    link: str | None = None
    """A GNU long link name ('K')."""
    pax: dict[str, str] = field(default_factory=dict)
    """Records of a PAX header ('x')."""

    def read(self, type_flag: int, data: bytes, offset: int) -> None:
        """Take in the content of an extended header (a global one, 'g', changes nothing a
        reader here uses)."""
        if type_flag == PAX_TYPE:
            self.pax = pax_records(data, offset)
        elif type_flag == LONG_NAME_TYPE:
            self.name = text(data)
        elif type_flag == LONG_LINK_TYPE:
            self.link = text(data)

    def member_name(self, name: str) -> str:
        """The member's name: a long name, else a PAX sparse file's real name (GNU.sparse.name,
        as Go's archive/tar and so Docker name it), else a PAX path, else the header's own."""
        return self.name or self.pax.get("GNU.sparse.name") or self.pax.get("path") or name

    def member_link(self, link: str | None) -> str | None:
        """The member's link name: a long link, else a PAX linkpath, else the header's own."""
        return self.link or self.pax.get("linkpath") or link

    def clear(self) -> None:
        """Forget everything: the next member starts afresh."""
        self.name = self.link = None
        self.pax = {}
