"""The tar header format, decoded in one place for both readers of tars: the outer archive reader
(sources/outer_tar.py) and the layer indexer (layers/tarindex.py).

Field decoding (octal and GNU base-256 numbers, the ustar name prefix, the checksum every header
must carry), GNU long names and links, PAX records, and which type flags carry content, following
Go's archive/tar (what Docker writes and reads layers with): '0', '\\0' and '7' are regular
files; '1' to '6' are header-only whatever their size field says; any other type carries `size`
bytes of content that a reader must skip to stay in step. The layer indexer's hot loop inlines
the common case of a few of these (tests/layers/test_tarheader.py holds it to this module).
"""

from __future__ import annotations

import struct
import zlib
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

MEMBER = struct.Struct("100s24s12s12x8sB355x")
"""name, mode+uid+gid, size, checksum and type: the fields the layer indexer reads for every
member, in one call; the rest are sliced out only when a member needs them."""
adler32 = zlib.adler32
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


def block_sum(block) -> int:
    """The sum of a block's 512 bytes, in two C calls: adler32's low half is 1 + the byte sum
    modulo 65521, exact for 256 bytes (256 * 255 < 65521). sum() over the block costs eight
    times as much, for every member of a layer."""
    return (adler32(block[:256]) & 0xFFFF) + (adler32(block[256:BLOCK]) & 0xFFFF) - 2


def expected_adler(field: bytes) -> int:
    """The low half of adler32 over a header whose checksum field is `field` and adds up, in
    the form Go, GNU tar and tarfile write the field (six octal digits, NUL, space): 1 + the
    checksum, less the eight spaces it counts in place of the field, plus the field's own
    bytes. -1, which no adler32 gives, for any other form and for a sum of 65520 or more,
    which the one adler32 would only know modulo 65521: is_header decides those, exactly.

    One adler32 over the block costs less than the two of block_sum, for every member of a
    layer; its modulus lets a header whose sum is off by exactly 65521 pass, which a damaged
    block never is (a checksum is no defence against a forged one anyway)."""
    digits = field[:6]
    if field[6:] != b"\0 " or not digits.isdigit():  # int() would take a sign, '_' or blanks
        return -1
    try:
        total = int(digits, 8) - 256 + (adler32(field) & 0xFFFF) - 1
    except ValueError:  # an 8 or a 9
        return -1
    return total + 1 if total < 65520 else -1


def is_header(block) -> bool:
    """Whether a block is a tar header: its checksum adds up, whatever its magic (as Go's
    archive/tar decides, and so Docker: ustar, GNU and pre-POSIX headers alike). The checksum
    field is octal between spaces and NULs; the sum may be of unsigned or (as some old tars
    wrote it) signed bytes, the field counted as eight spaces."""
    field = bytes(block[CHECKSUM]).strip(b" \0")
    if field.translate(None, b"01234567"):
        return False  # not octal digits (int() would take a sign, '_' or inner blanks)
    stored = int(field, 8) if field else 0
    unsigned = block_sum(block) - (adler32(block[CHECKSUM]) & 0xFFFF) + 1 + 256
    if stored == unsigned:
        return True
    high = sum(byte >= 0x80 for byte in bytes(block[:148]) + bytes(block[156:BLOCK]))
    return stored == unsigned - 256 * high


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
