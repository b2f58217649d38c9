"""Indexing through ReadAhead blocks gives what indexing the whole layer in memory gives, wherever
the block boundaries fall."""

import io

import pytest

from layerscope.analysis.packages import PACKAGE_DATABASES
from layerscope.errors import LayerReadError
from layerscope.layers import readahead
from layerscope.layers.blob import index_blob
from layerscope.layers.limits import ReadOptions
from layerscope.layers.tarindex import index_layer
from tests.imagebuilder import directory, file, hardlink, layer_tar, symlink, whiteout

LAYER = layer_tar([
    directory("etc"),
    file("etc/small", b"s" * 100),
    file("etc/exact", b"e" * 512),
    *(file(f"etc/f{size}", bytes([size % 251]) * size) for size in (1, 511, 513, 3000, 70_000)),
    file("var/lib/dpkg/status", b"Package: x\nStatus: install ok installed\n"),
    symlink("etc/link", "small"),
    hardlink("etc/hard", "etc/small"),
    whiteout("etc/gone"),
    file("big", bytes(range(256)) * 20_000),
])


@pytest.mark.parametrize("block_data", [700, 4096, 65_536, 1 << 20])
def test_blocks_anywhere_give_the_in_memory_index(monkeypatch, block_data):
    monkeypatch.setattr(readahead, "BLOCK_DATA", block_data)
    expected = index_layer(LAYER, {})
    stream = io.BytesIO(LAYER)
    blob = index_blob(stream, len(LAYER), options=ReadOptions(capture=PACKAGE_DATABASES),
                      read_ahead=readahead.BlockPool())
    assert (blob.entries, blob.size) == expected
    assert blob.captured == {"/var/lib/dpkg/status": b"Package: x\nStatus: install ok installed\n"}


def test_a_truncated_layer_fails_as_it_does_without_read_ahead(monkeypatch):
    monkeypatch.setattr(readahead, "BLOCK_DATA", 4096)
    cut = LAYER[:5000]
    with pytest.raises(LayerReadError) as plain:
        index_blob(io.BytesIO(cut), len(cut))
    with pytest.raises(LayerReadError) as ahead:
        index_blob(io.BytesIO(cut), len(cut), read_ahead=readahead.BlockPool())
    assert ahead.value.message == plain.value.message


class Failing(io.BytesIO):
    def readinto(self, view):
        if self.tell() > 3000:
            raise OSError(5, "Input/output error")
        return super().readinto(view[:1024])


def test_a_read_error_reaches_the_caller_and_the_thread_ends():
    ahead = readahead.ReadAhead(Failing(LAYER))
    with pytest.raises(OSError, match="Input/output error"):
        index_layer(ahead)
    ahead.close()
    assert not ahead._thread.is_alive()


@pytest.mark.parametrize("chunk", [100, 4096, 1 << 20])
def test_a_gzip_layer_inflated_ahead_gives_the_in_memory_index(monkeypatch, chunk):
    from layerscope.layers import decompress
    from tests.imagebuilder import compress

    monkeypatch.setattr(decompress, "CHUNK", chunk)  # pieces end anywhere in the members
    blob = compress(LAYER, "gzip")
    expected = index_layer(LAYER, {})
    got = index_blob(io.BytesIO(blob), len(blob),
                     options=ReadOptions(capture=PACKAGE_DATABASES), inflate_ahead=True)
    assert (got.entries, got.size, got.codec) == (*expected, "gzip")
    assert got.captured == {"/var/lib/dpkg/status": b"Package: x\nStatus: install ok installed\n"}


def test_a_damaged_gzip_layer_inflated_ahead_fails_in_the_reader():
    from tests.imagebuilder import compress

    whole = compress(LAYER, "gzip")
    with pytest.raises(LayerReadError, match="^gzip layer stream is truncated$"):
        index_blob(io.BytesIO(whole[:len(whole) // 2]), None, inflate_ahead=True)
    damaged = bytearray(whole)
    damaged[40:200] = bytes(160)
    with pytest.raises(LayerReadError, match="^corrupt gzip layer data"):
        index_blob(io.BytesIO(bytes(damaged)), len(damaged), inflate_ahead=True)


def test_pieces_ahead_stops_its_thread_when_closed_early():
    made = []

    def produce():
        made.append(1)
        return b"x" * 10

    ahead = readahead.PiecesAhead(produce)
    view = memoryview(bytearray(25))
    assert ahead.readinto(view) == 25 and bytes(view) == b"x" * 25
    ahead.close()
    assert not ahead._thread.is_alive()
    assert len(made) <= 3 + readahead.PiecesAhead.DEPTH + 1  # bounded: it stopped
