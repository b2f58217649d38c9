"""Open a layer blob as an uncompressed stream, choosing the codec by its magic bytes."""

from __future__ import annotations

import zlib
from typing import BinaryIO

from isal import isal_zlib

from ..errors import LayerReadError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1 << 20
ZSTD_READ = 256 << 10
ZSTD_SLICE = 2 << 10


def sniff(head: bytes) -> str | None:
    """Name the format of a blob from its first 512 bytes: gzip, zstd, tar or None."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if len(head) >= 512 and not any(head[:512]):
        return "tar"  # an empty layer is just the end-of-archive zero blocks
    return None


def media_type_codec(media_type: str | None) -> str | None:
    """The codec a media type promises, or None when it promises nothing."""
    if not media_type:
        return None
    if media_type.endswith("+gzip") or media_type.endswith(".gzip") or "tar.gzip" in media_type:
        return "gzip"
    if media_type.endswith("+zstd") or media_type.endswith(".zstd"):
        return "zstd"
    if media_type.endswith(".tar") or media_type.endswith("layer.v1.tar"):
        return "tar"
    return None


class PrefixedStream:
    """A read-only stream that replays bytes already read before continuing with the source."""

    def __init__(self, head: bytes, source: BinaryIO) -> None:
        self._head = head
        self._source = source

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._source.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            if len(data) < size:
                data += self._source.read(size - len(data))
            return data
        return self._source.read(size)

    def readinto(self, view) -> int:
        """Fill `view` from the replayed bytes, then straight from the source where it can."""
        if self._head or not hasattr(self._source, "readinto"):
            data = self.read(len(view))
            view[:len(data)] = data
            return len(data)
        return self._source.readinto(view)


class GzipStream:
    """Streaming gzip decoding (multi-member safe), faster than gzip.GzipFile.

    ISA-L's inflate (isal) rather than zlib's: the same API and results, 2.2x the speed
    (size:v1's 184 MB gzip layer: 1.45 s -> 0.58-0.69 s on this machine); inflating is most of a
    gzip layer's indexing time, and for a registry it is the whole difference with a download.

    Output is bounded per call (zlib's max_length), so a member of a few KiB that inflates to
    gigabytes of zeros never sits in memory at once: a bomb is stopped by the reader's limits.
    """

    def __init__(self, source) -> None:
        self._source = source
        self._inflater = isal_zlib.decompressobj(wbits=31)
        self._pending = b""  # compressed input not yet decoded
        self._buffer = bytearray()
        self._eof = False

    def _inflate(self, limit: int) -> bytes:
        """At most `limit` more decoded bytes (maybe none yet: a member's header), reading
        compressed input when none is pending; sets _eof at the end of the last member."""
        try:
            return self._decode(limit)
        except (zlib.error, isal_zlib.error) as error:
            raise LayerReadError(f"corrupt gzip layer data: {error}") from error

    def _decode(self, limit: int) -> bytes:
        if not self._pending:
            chunk = self._source.read(CHUNK)
            if not chunk:
                tail = self._inflater.flush()
                if not self._inflater.eof:
                    raise LayerReadError("gzip layer stream is truncated")
                self._eof = True
                return tail
            self._pending = chunk
        inflater = self._inflater
        if inflater.eof:  # the previous member ended: the next one starts here
            self._inflater = inflater = isal_zlib.decompressobj(wbits=31)
        data = inflater.decompress(self._pending, limit)
        self._pending = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
        return data

    def next_piece(self) -> bytes:
        """The next decoded piece (at most CHUNK bytes); b"" at the end."""
        while not self._eof:
            piece = self._inflate(CHUNK)
            if piece:
                return piece
        return b""

    def readinto(self, view) -> int:
        """Decode straight into `view`, a piece of at most CHUNK at a time: the tar reader's
        window is filled without the 8 MiB temporaries read() makes (each one fresh pages from
        the kernel: most of the system time of a gzip layer) or the copies out of _buffer."""
        filled = 0
        if self._buffer:  # left by an earlier read()
            filled = min(len(view), len(self._buffer))
            view[:filled] = self._buffer[:filled]
            del self._buffer[:filled]
        wanted = len(view)
        while filled < wanted and not self._eof:
            piece = self._inflate(min(wanted - filled, CHUNK))
            view[filled:filled + len(piece)] = piece
            filled += len(piece)
        return filled

    def read(self, size: int = -1) -> bytes:
        while not self._eof and (size < 0 or len(self._buffer) < size):
            self._buffer += self._inflate(CHUNK if size < 0
                                          else max(size - len(self._buffer), 64 << 10))
        if size < 0 or size >= len(self._buffer):
            data = bytes(self._buffer)
            self._buffer.clear()
        else:
            data = bytes(self._buffer[:size])
            del self._buffer[:size]
        return data


class ZstdStream:
    """Streaming zstd decoding (multi-frame safe) that reports corrupt or truncated data.

    Input is fed in small slices and decoding stops once a read is satisfied, so memory stays
    bounded even for a layer of zeros (zstd reaches ratios of ~32000:1).
    """

    def __init__(self, source) -> None:
        import zstandard

        self._error = zstandard.ZstdError
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._source = source
        self._inflater = self._new()
        self._pending = memoryview(b"")
        self._buffer = bytearray()
        self._eof = False

    def _fill(self) -> None:
        if not self._pending:
            chunk = self._source.read(ZSTD_READ)
            if not chunk:
                # A cut mid-frame must not pass for a short but valid layer.
                if not self._inflater.eof:
                    raise LayerReadError("zstd layer stream is truncated")
                self._eof = True
                return
            self._pending = memoryview(chunk)
        piece, self._pending = self._pending[:ZSTD_SLICE], self._pending[ZSTD_SLICE:]
        try:
            if self._inflater.eof:  # the previous frame ended exactly at a slice boundary
                self._inflater = self._new()
            self._buffer += self._inflater.decompress(piece)
            while self._inflater.eof and self._inflater.unused_data:
                rest = self._inflater.unused_data
                self._inflater = self._new()
                self._buffer += self._inflater.decompress(rest)
        except self._error as error:
            raise LayerReadError(f"corrupt zstd layer data: {error}") from error

    def read(self, size: int = -1) -> bytes:
        while not self._eof and (size < 0 or len(self._buffer) < size):
            self._fill()
        if size < 0 or size > len(self._buffer):
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


def open_uncompressed(source: BinaryIO):
    """Return a stream of the layer's uncompressed tar bytes, the codec chosen by magic bytes.

    (What a media type promises is checked against the bytes where the manifest is read, in
    sources.resolve.)"""
    head = bytes(source.read(512))
    found = sniff(head)
    if found is None:
        raise LayerReadError("layer blob is not a tar, gzip or zstd stream (media type unknown)")
    stream = PrefixedStream(head, source)
    if found == "gzip":
        return GzipStream(stream)
    if found == "zstd":
        return ZstdStream(stream)
    return stream
