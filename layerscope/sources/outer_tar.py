"""Read a tar archive of an image in one forward pass: the shared parsing path for streams.

`docker save` output from the engine (and compressed archive files, which cannot be seeked) come
through here. Manifests may come after the layers in the stream (Docker writes them last), so
every member that looks like a layer is indexed as it passes and small documents are kept;
`resolve` then picks the layers the manifest names. Nothing is written to disk.
"""

from __future__ import annotations

import posixpath

from ..errors import LayerReadError, SourceError
from ..layers.blob import IndexedBlob, index_blob
from ..layers.decompress import sniff
from ..layers.limits import ReadOptions
from ..layers.tarheader import (
    BLOCK,
    EXTENDED_TYPES,
    PAX_LIMIT,
    REGULAR_TYPES,
    ZERO_BLOCK,
    Extensions,
    has_content,
    is_header,
    parse_header,
    pax_number,
)
from .base import Progress
from .documents import METADATA_LIMIT, MetadataTooLarge, follow_links, normalize_member_name

__all__ = ["METADATA_LIMIT", "StreamedArchive", "read_archive"]

SKIP_CHUNK = 1 << 20


class StreamedArchive:
    """The members of an archive after one pass: small documents and indexed layers."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        self.layers: dict[str, IndexedBlob] = {}
        self.links: dict[str, str] = {}
        self.skipped: dict[str, int] = {}
        """Members too large for metadata that are not layers either: name -> size."""

    def has(self, name: str) -> bool:
        name = follow_links(self.links, name)
        return name in self.documents or name in self.layers or name in self.skipped

    def raw(self, name: str) -> bytes:
        name = follow_links(self.links, name)
        if name in self.skipped:
            raise MetadataTooLarge(name, self.skipped[name])
        if name not in self.documents:
            raise SourceError(f"archive member {name} is not a metadata document")
        return self.documents[name]

    def layer(self, name: str) -> IndexedBlob:
        name = follow_links(self.links, name)
        if name in self.layers:
            return self.layers[name]
        if name in self.documents or name in self.skipped:
            raise LayerReadError("the blob is not a tar, gzip or zstd stream")
        raise SourceError(f"layer {name} is missing from the archive")


class _Source:
    """Exact reads from a forward-only stream, counting the offset for messages."""

    def __init__(self, stream) -> None:
        self._read = stream.read
        self._readinto = getattr(stream, "readinto", None)
        self.offset = 0

    def read(self, size: int) -> bytes:
        parts = []
        while size > 0:
            data = self._read(size)
            if not data:
                break
            parts.append(data)
            size -= len(data)
            self.offset += len(data)
        return b"".join(parts)

    def readinto(self, view) -> int:
        if self._readinto is None:
            data = self._read(len(view))
            view[:len(data)] = data
            count = len(data)
        else:
            count = self._readinto(view) or 0
        self.offset += count
        return count

    def skip(self, size: int) -> int:
        """Skip up to `size` bytes; how many were there."""
        skipped = 0
        scratch = memoryview(bytearray(min(size, SKIP_CHUNK))) if size else None
        while skipped < size:
            count = self.readinto(scratch[: min(size - skipped, len(scratch))])
            if not count:
                break
            skipped += count
        return skipped


class _Member:
    """read()/readinto() over one member's bytes of the outer archive, and no further."""

    def __init__(self, source: _Source, size: int) -> None:
        self._source = source
        self.remaining = size

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        data = self._source.read(size)
        self.remaining -= len(data)
        return data

    def readinto(self, view) -> int:
        if self.remaining <= 0:
            return 0
        count = self._source.readinto(view[: min(len(view), self.remaining)])
        self.remaining -= count
        return count


def _header(block: bytes, what: str, offset: int, first: bool, layers: int):
    """(name, type, size, linkname) of an outer header, or an error in the archive's words."""
    if not is_header(block):
        reason = f"no valid tar header at byte {offset}"
        if first:
            raise SourceError(f"{what} is not a tar archive ({reason})",
                              hint="give an image archive made by `docker save`")
        raise SourceError(f"{what} is damaged after {layers} layers: {reason}")
    try:
        header = parse_header(block, offset)
    except LayerReadError:
        raise SourceError(f"{what} is damaged at byte {offset}: a member size is not a number") from None
    if header.size < 0:
        raise SourceError(f"{what} is damaged at byte {offset}: a member has a negative size")
    return header.name, header.type_flag, header.size, header.link


def read_archive(fileobj, what: str, progress: Progress | None = None,
                 options: ReadOptions | None = None) -> StreamedArchive:
    """Index every layer-like member of the tar stream `fileobj` in a single forward pass.

    The outer archive has a handful of members, but they carry every byte of the image, so its
    headers are read here directly and each member's bytes go to the layer indexer without the
    copies and small reads `tarfile`'s stream mode makes.
    """
    archive = StreamedArchive()
    source = _Source(fileobj)
    extensions = Extensions()
    while True:
        offset = source.offset
        block = source.read(BLOCK)
        if not block:
            if offset == 0:
                raise SourceError(f"{what} is not a tar archive (empty file)",
                                  hint="give an image archive made by `docker save`")
            break  # end of data without end-of-archive blocks
        if len(block) < BLOCK:
            raise SourceError(f"{what} is truncated: {len(block)} bytes of a header at byte {offset}")
        if block == ZERO_BLOCK:
            break
        name, type_flag, size, link = _header(block, what, offset, offset == 0, len(archive.layers))
        padding = -size % BLOCK
        if type_flag in EXTENDED_TYPES:
            _extended(source, extensions, type_flag, size, what, offset)
            continue
        name = extensions.member_name(name)
        link = extensions.member_link(link)
        if "size" in extensions.pax:
            try:
                size = pax_number(extensions.pax["size"], "size", offset)
            except LayerReadError:
                raise SourceError(f"{what} is damaged at byte {offset}: a bad PAX size") from None
            padding = -size % BLOCK
        extensions.clear()
        # any type but the header-only ones carries content, taken or not: skipped to stay in step
        member = _Member(source, size if has_content(type_flag) else 0)
        _take(member, normalize_member_name(name), type_flag, size, link, archive, progress,
              options)
        if source.skip(member.remaining) < member.remaining:
            raise SourceError(f"{what} is truncated in member {name} at byte {source.offset}")
        if has_content(type_flag) and source.skip(padding) < padding:
            raise SourceError(f"{what} is truncated after member {name}")
    return archive


def _extended(source: _Source, extensions: Extensions, type_flag: int, size: int, what: str,
              offset: int) -> None:
    """Read an extended header's content into `extensions`."""
    if size > PAX_LIMIT:
        raise SourceError(f"{what} is damaged at byte {offset}: an extended header of {size} bytes")
    padding = -size % BLOCK
    data = source.read(size)
    if len(data) < size or source.skip(padding) < padding:
        raise SourceError(f"{what} is truncated in an extended header at byte {offset}")
    try:
        extensions.read(type_flag, data, offset)
    except LayerReadError as error:
        raise SourceError(f"{what}: {error.message}") from error


def _take(member: _Member, name: str, type_flag: int, size: int, link: str,
          archive: StreamedArchive, progress, options: ReadOptions | None) -> None:
    if type_flag == ord("2"):
        archive.links[name] = normalize_member_name(posixpath.join(posixpath.dirname(name), link))
        return
    if type_flag not in REGULAR_TYPES:
        return
    head = member.read(512)
    if sniff(head) is None:
        if size <= METADATA_LIMIT:
            rest = member.read()
            archive.documents[name] = head + rest
        else:
            archive.skipped[name] = size
        return
    if progress:
        progress(f"reading layer {len(archive.layers) + 1}: {name}")
    try:
        archive.layers[name] = index_blob(member, size, head, options)
    except LayerReadError as error:
        raise LayerReadError(f"layer {name}: {error.message}", error.hint) from error
