"""An HTTP response body in large blocks, for the engine's export.

Docker sends `GET /images/get` as HTTP/1.1 chunked transfer encoding in 32 KiB chunks: twenty
thousand of them for a 600 MB image. Decoded one by one through urllib3 and handed across a
queue, they cost the receiving thread more interpreter time than indexing the layers costs the
main thread, and the two threads share one interpreter lock. Here the socket is read a megabyte
at a time, the chunk framing is stripped with a few bytes operations per chunk, and the payload
is handed over in blocks of megabytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

READ_SIZE = 1 << 20
BLOCK_SIZE = 4 << 20
HEADER_LIMIT = 4096
"""Longest chunk-size line accepted (with extensions): real ones are a few bytes."""


def dechunk(read1: Callable[[int], bytes],  # noqa: C901 - one pass over the framing, for speed
            block_size: int = BLOCK_SIZE) -> Iterator[bytearray]:
    """The payload of a chunked body read with `read1`, in blocks of about block_size bytes.

    A body that ends before its last chunk, or framing that is not chunked encoding, raises
    ConnectionError: either way the engine's answer broke off."""
    data, at = b"", 0
    block = bytearray()
    while True:
        end = data.find(b"\r\n", at)
        while end < 0:
            if len(data) - at > HEADER_LIMIT:
                raise ConnectionError("the engine's response is not valid chunked encoding")
            data, at = data[at:] + _more(read1), 0
            end = data.find(b"\r\n", at)
        try:
            size = int(data[at:end].split(b";", 1)[0], 16)
        except ValueError:
            raise ConnectionError("the engine's response is not valid chunked encoding") from None
        if size < 0:
            raise ConnectionError("the engine's response is not valid chunked encoding")
        at = end + 2
        if size == 0:  # the last chunk; trailers, if any, are not ours to read
            if block:
                yield block
            return
        while size:
            if at == len(data):
                data, at = _more(read1), 0
            take = min(size, len(data) - at)
            block += memoryview(data)[at:at + take]
            at += take
            size -= take
        while len(data) - at < 2:
            data, at = data[at:] + _more(read1), 0
        if data[at:at + 2] != b"\r\n":
            raise ConnectionError("the engine's response is not valid chunked encoding")
        at += 2
        if len(block) >= block_size:
            yield block
            block = bytearray()


def _more(read1: Callable[[int], bytes]) -> bytes:
    data = read1(READ_SIZE)
    if not data:
        raise ConnectionError("the engine's response ended before its last chunk")
    return data


def in_blocks(pieces: Iterable[bytes], block_size: int = BLOCK_SIZE) -> Iterator[bytearray]:
    """Small pieces gathered into blocks of about block_size bytes."""
    block = bytearray()
    for piece in pieces:
        block += piece
        if len(block) >= block_size:
            yield block
            block = bytearray()
    if block:
        yield block
