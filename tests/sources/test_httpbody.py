"""Chunked transfer decoding of the engine's export, whatever sizes the socket reads return."""

import io

import pytest

from layerscope.sources.httpbody import dechunk, in_blocks

PAYLOAD = bytes(range(256)) * 300


def chunked(payload: bytes, sizes=(1, 7, 32768, 100, 5000), extension: bytes = b"") -> bytes:
    body, at, turn = b"", 0, 0
    while at < len(payload):
        size = sizes[turn % len(sizes)]
        piece = payload[at:at + size]
        body += b"%x%s\r\n%s\r\n" % (len(piece), extension, piece)
        at += size
        turn += 1
    return body + b"0\r\n\r\n"


def reads_of(data: bytes, size: int):
    stream = io.BytesIO(data)
    return lambda wanted: stream.read(min(wanted, size))


@pytest.mark.parametrize("read_size", [1, 2, 3, 511, 4096, 1 << 20])
def test_the_payload_comes_back_whole_for_any_read_size(read_size):
    blocks = list(dechunk(reads_of(chunked(PAYLOAD), read_size), block_size=10000))
    assert b"".join(blocks) == PAYLOAD
    assert all(len(block) >= 10000 for block in blocks[:-1])


def test_chunk_extensions_and_trailers_are_ignored():
    body = chunked(PAYLOAD, extension=b';name="value"').replace(b"0\r\n\r\n", b"0\r\nX-Sum: 1\r\n\r\n")
    assert b"".join(dechunk(reads_of(body, 999))) == PAYLOAD


@pytest.mark.parametrize("body", [
    chunked(PAYLOAD)[:-5],                       # no last chunk: the connection dropped
    chunked(PAYLOAD)[:1000],                     # cut inside a chunk
    b"zz\r\nhello\r\n0\r\n\r\n",                 # a size that is not hexadecimal
    b"5\r\nhelloXX0\r\n\r\n",                    # a chunk not followed by CRLF
    b"-5\r\nhello\r\n0\r\n\r\n",
    b"5" * 5000,                                 # a size line that never ends
])
def test_a_broken_body_is_a_connection_error(body):
    with pytest.raises(ConnectionError):
        b"".join(dechunk(reads_of(body, 64)))


def test_small_pieces_are_gathered_into_blocks():
    blocks = list(in_blocks([b"ab"] * 10, block_size=5))
    assert [bytes(b) for b in blocks] == [b"ababab"] * 3 + [b"ab"]
