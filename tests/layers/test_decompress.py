"""open_uncompressed: codec by magic bytes, media type names, damaged streams (a media type that
disagrees with the bytes is refused where the manifest is read: tests/sources/test_archive_layouts)."""

import gzip
import io
import random

import pytest
import zstandard

from layerscope.errors import LayerReadError
from layerscope.layers import decompress
from layerscope.layers.decompress import media_type_codec, open_uncompressed
from layerscope.layers.tarindex import index_layer
from tests.imagebuilder import LAYER_MEDIA_TYPES, compress, file, layer_tar

TAR = layer_tar([file("/etc/motd", "welcome\n" * 500), file("/bin/x", bytes(range(256)) * 40)])
DOCKER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def read_all(stream, size=4096) -> bytes:
    out = b""
    while chunk := stream.read(size):
        out += chunk
    return out


@pytest.mark.parametrize("codec", ["none", "gzip", "zstd"])
def test_each_codec_is_recognised_by_its_magic_bytes(codec):
    stream = open_uncompressed(io.BytesIO(compress(TAR, codec)))
    assert read_all(stream) == TAR
    assert media_type_codec(LAYER_MEDIA_TYPES[codec]) == ("tar" if codec == "none" else codec)


def test_read_without_size_returns_everything():
    assert open_uncompressed(io.BytesIO(compress(TAR, "gzip"))).read() == TAR
    assert open_uncompressed(io.BytesIO(compress(TAR, "zstd"))).read() == TAR


def test_docker_media_type_names_are_understood():
    assert media_type_codec(DOCKER_GZIP) == "gzip"
    assert read_all(open_uncompressed(io.BytesIO(compress(TAR, "gzip")))) == TAR


def test_empty_layer_of_zero_blocks_is_a_tar():
    assert open_uncompressed(io.BytesIO(bytes(1024))).read() == bytes(1024)


def test_multi_member_gzip_is_read_to_the_end():
    half = len(TAR) // 2
    blob = gzip.compress(TAR[:half]) + gzip.compress(TAR[half:])
    assert read_all(open_uncompressed(io.BytesIO(blob)), 100) == TAR


def test_multi_frame_zstd_is_read_to_the_end():
    half = len(TAR) // 2
    blob = compress(TAR[:half], "zstd") + compress(TAR[half:], "zstd")
    assert read_all(open_uncompressed(io.BytesIO(blob))) == TAR


def test_zstd_frame_ending_exactly_on_an_input_slice_boundary():
    rng = random.Random(0)
    # Incompressible data is stored raw, so some length gives a frame of exactly 2 slices.
    for n in range(2 * decompress.ZSTD_SLICE - 40, 2 * decompress.ZSTD_SLICE):
        first = rng.randbytes(n)
        frame = zstandard.ZstdCompressor().compress(first)
        if len(frame) == 2 * decompress.ZSTD_SLICE:
            break
    else:
        pytest.fail("no frame of the wanted length")
    blob = frame + compress(b"tail", "zstd")
    assert open_uncompressed(io.BytesIO(blob)).read() == first + b"tail"


def test_bytes_of_no_known_format_are_refused():
    with pytest.raises(LayerReadError) as raised:
        open_uncompressed(io.BytesIO(b"PK\x03\x04 a zip file"))
    assert raised.value.message == (
        "layer blob is not a tar, gzip or zstd stream (media type unknown)"
    )


def test_corrupt_gzip_fails_when_read():
    blob = bytearray(compress(TAR, "gzip"))
    blob[20:60] = bytes(40)
    stream = open_uncompressed(io.BytesIO(bytes(blob)))  # the header is fine
    with pytest.raises(LayerReadError, match="^corrupt gzip layer data"):
        read_all(stream)


def test_truncated_gzip_fails_when_read():
    blob = compress(TAR, "gzip")
    stream = open_uncompressed(io.BytesIO(blob[: len(blob) // 2]))
    with pytest.raises(LayerReadError, match="^gzip layer stream is truncated$"):
        read_all(stream)


def test_corrupt_zstd_fails_when_read():
    blob = bytearray(compress(TAR, "zstd"))
    blob[10:40] = b"\xff" * 30
    stream = open_uncompressed(io.BytesIO(bytes(blob)))
    with pytest.raises(LayerReadError, match="^corrupt zstd layer data"):
        read_all(stream)


@pytest.mark.parametrize(
    "cut",
    [lambda n: 5, lambda n: n // 2, lambda n: n - 1],
    ids=["header-only", "half", "last-byte-missing"],
)
def test_truncated_zstd_fails_instead_of_reading_as_a_short_layer(cut):
    blob = compress(TAR, "zstd")
    with pytest.raises(LayerReadError, match="^zstd layer stream is truncated$"):
        index_layer(open_uncompressed(io.BytesIO(blob[: cut(len(blob))])))


def test_zstd_of_a_huge_run_of_zeros_is_returned_in_requested_pieces():
    blob = compress(bytes(64 << 20), "zstd")
    stream = open_uncompressed(io.BytesIO(blob))
    total = 0
    while chunk := stream.read(1 << 20):
        assert len(chunk) <= 1 << 20
        total += len(chunk)
    assert total == 64 << 20


def readinto_all(stream, size: int) -> bytes:
    out = bytearray()
    view = memoryview(bytearray(size))
    while count := stream.readinto(view):
        out += view[:count]
    return bytes(out)


@pytest.mark.parametrize("size", [1, 100, 4096, 3 * decompress.CHUNK])
def test_gzip_readinto_fills_views_across_members(size):
    # three members, the middle one longer than CHUNK, so views end inside and across members
    big = random.Random(1).randbytes(decompress.CHUNK + 777)
    blob = gzip.compress(TAR) + gzip.compress(big) + gzip.compress(b"end")
    assert readinto_all(open_uncompressed(io.BytesIO(blob)), size) == TAR + big + b"end"


def test_gzip_readinto_after_read_continues_where_read_stopped():
    stream = open_uncompressed(io.BytesIO(compress(TAR, "gzip")))
    first = stream.read(1000)
    assert first + readinto_all(stream, 3000) == TAR


def test_gzip_readinto_fills_the_whole_view_before_the_end():
    stream = open_uncompressed(io.BytesIO(compress(TAR, "gzip")))
    view = memoryview(bytearray(len(TAR) - 10))
    assert stream.readinto(view) == len(TAR) - 10  # one call, however the input was split
    assert bytes(view) == TAR[:-10]


def test_gzip_readinto_names_corrupt_and_truncated_streams():
    blob = bytearray(compress(TAR, "gzip"))
    blob[20:60] = bytes(40)
    with pytest.raises(LayerReadError, match="^corrupt gzip layer data"):
        readinto_all(open_uncompressed(io.BytesIO(bytes(blob))), 4096)
    whole = compress(TAR, "gzip")
    with pytest.raises(LayerReadError, match="^gzip layer stream is truncated$"):
        readinto_all(open_uncompressed(io.BytesIO(whole[: len(whole) // 2])), 4096)
