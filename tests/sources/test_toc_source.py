"""The registry's TOC hook: indexes holding TOC digests are cached where only a TOC-reading
source looks; versions whose hash kinds meet are hashed from their bytes; a TOC that fails is
said under --debug and the layer read whole."""

from __future__ import annotations

import io

import pytest

from layerscope.errors import SourceError
from layerscope.layers.blob import index_blob
from layerscope.layers.cache import CacheStore
from layerscope.layers.limits import ReadOptions
from layerscope.layers.toc import is_digest_hash
from layerscope.layers.toc_read import index_from_toc, toc_cache_key
from layerscope.model import Image, Layer
from layerscope.sources.base import LayerDescriptor, RangeNotSupported
from layerscope.sources.toc_source import TocCache, comparable, toc_index
from tests import imagebuilder as ib
from tests.tocformats import BlobRanges, to_zstd_chunked

ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
CONTENT = b"the same bytes\n"  # 15 bytes
LOWER = ib.layer_tar([ib.file("etc/conf", CONTENT, mode=0o644)])
UPPER = ib.layer_tar([ib.file("etc/conf", CONTENT, mode=0o600)])  # a chmod: metadata-only


def chunked(tar: bytes):
    blob, annotations = to_zstd_chunked(tar)
    return LayerDescriptor(ZSTD, len(blob), "sha256:" + "1" * 64, annotations), blob


def test_toc_indexes_are_cached_apart(tmp_path):
    store = CacheStore(tmp_path, persistent=True)
    cache = TocCache(store)
    descriptor, blob = chunked(UPPER)
    from_toc = toc_index(descriptor, BlobRanges(blob), ReadOptions(), {})
    cache["sha256:" + "a" * 64] = from_toc
    fresh = CacheStore(tmp_path, persistent=True)
    assert fresh.get("sha256:" + "a" * 64) is None  # a source reading tars never sees it
    assert fresh.get(toc_cache_key("sha256:" + "a" * 64)).entries == from_toc.entries
    assert TocCache(fresh).get("sha256:" + "a" * 64).entries == from_toc.entries
    whole = index_blob(io.BytesIO(UPPER), None)
    cache["sha256:" + "a" * 64] = whole  # the tar reader's index wins once there is one
    assert TocCache(CacheStore(tmp_path, persistent=True)).get("sha256:" + "a" * 64).entries \
        == whole.entries


def image_of(*blobs) -> Image:
    layers = tuple(Layer(i, f"sha256:{i:064x}", b.entries, b.size) for i, b in enumerate(blobs))
    return Image("x", "sha256:" + "0" * 64, (), "amd64", "linux", (), layers)


def test_a_toc_version_over_a_tar_version_is_hashed_from_its_bytes():
    lower = index_blob(io.BytesIO(LOWER), None)
    descriptor, blob = chunked(UPPER)
    contents, lines = {}, []
    options = ReadOptions(debug=lines.append)
    upper = toc_index(descriptor, BlobRanges(blob), options, contents)
    assert is_digest_hash(upper.entries[-1].content_hash)
    reader = BlobRanges(blob)
    image = comparable(image_of(lower, upper), [(descriptor, reader), (descriptor, reader)],
                       TocCache(CacheStore(persistent=False)), options, contents,
                       lambda d: None)
    assert image.layers[1].files[-1].content_hash == lower.entries[-1].content_hash
    assert reader.requests == 1  # the one file's frame
    assert "1 files hashed from their bytes" in lines[-1]


class Refusing(BlobRanges):
    """A registry that answers Range requests with the whole blob."""

    def read_range(self, offset, length):
        raise RangeNotSupported("registry 127.0.0.1 ignores Range requests")


def test_a_layer_whose_toc_fails_is_read_whole_and_said_so():
    descriptor, blob = chunked(UPPER)
    lines = []
    assert toc_index(descriptor, Refusing(blob), ReadOptions(debug=lines.append), {}) is None
    assert lines == [f"layer {descriptor.digest}: read whole, its TOC cannot be used: "
                     "registry 127.0.0.1 ignores Range requests"]
    lower = index_blob(io.BytesIO(LOWER), None)
    upper = index_from_toc(ZSTD, descriptor.annotations, BlobRanges(blob)).blob
    whole = index_blob(io.BytesIO(UPPER), None)
    image = comparable(image_of(lower, upper), [(descriptor, Refusing(blob))] * 2,
                       TocCache(CacheStore(persistent=False)), ReadOptions(), {},
                       lambda d: whole)
    assert image.layers[1].files == whole.entries


def test_any_other_transport_failure_is_the_error():
    """A 429 or 5xx past the retries, a 404: a whole read would meet it again."""
    descriptor, blob = chunked(UPPER)

    class Failing(BlobRanges):
        def read_range(self, offset, length):
            raise SourceError("registry 127.0.0.1 answered 429, also after 4 retries")

    with pytest.raises(SourceError, match="429"):
        toc_index(descriptor, Failing(blob), ReadOptions(), {})
