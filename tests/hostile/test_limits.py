"""The limits behind the corpus, in-process: the inflate guard, --verify and the cache, and a
cache directory that belongs to someone else."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys

import pytest

from layerscope.errors import LayerReadError, LayerscopeError
from layerscope.layers.blob import index_blob
from layerscope.layers.cache import CacheError, CacheStore
from layerscope.layers.decompress import GzipStream
from layerscope.layers.limits import ReadOptions
from layerscope.sources.reference import open_source
from tests.hostile import tarbytes as tb

ZEROS = tb.layer(tb.member("zeros", bytes(8 << 20)))


def test_a_blob_inflating_past_the_ratio_is_refused_with_the_numbers():
    blob = gzip.compress(ZEROS)
    with pytest.raises(LayerReadError) as raised:
        index_blob(io.BytesIO(blob), len(blob), options=ReadOptions(max_ratio=10, ratio_floor=1 << 20))
    assert raised.value.message.startswith(
        f"decompresses to more than {1 << 20:,} bytes, over 10 times its {len(blob):,} compressed")
    assert "--max-ratio" in raised.value.hint


@pytest.mark.parametrize("ratio", [0, 100_000])
def test_a_higher_ratio_or_none_lets_it_through(ratio):
    blob = gzip.compress(ZEROS)
    indexed = index_blob(io.BytesIO(blob), len(blob),
                         options=ReadOptions(max_ratio=ratio, ratio_floor=1 << 20))
    assert indexed.size == 8 << 20


def test_the_guard_counts_compressed_bytes_when_the_size_is_unknown():
    blob = gzip.compress(ZEROS)
    with pytest.raises(LayerReadError, match="decompresses to more than"):
        index_blob(io.BytesIO(blob), None, options=ReadOptions(max_ratio=10, ratio_floor=1 << 20))


def test_gzip_output_is_bounded_per_read():
    member = gzip.compress(bytes(64 << 20), compresslevel=9)
    stream = GzipStream(io.BytesIO(member * 8))  # 512 MiB from ~0.5 MiB in one input chunk
    assert len(stream.read(1 << 20)) == 1 << 20
    assert len(stream._buffer) < 8 << 20


def test_verify_digest_is_the_sha256_of_the_whole_uncompressed_stream():
    indexed = index_blob(io.BytesIO(gzip.compress(ZEROS)), None, options=ReadOptions(verify=True))
    assert indexed.digest == tb.sha(ZEROS)
    assert index_blob(io.BytesIO(ZEROS), None).digest is None


def _archive(tmp_path, layer: bytes, claimed: bytes) -> str:
    config = tb.config_for([claimed])
    return tb.write(tmp_path / "image.tar", tb.docker_archive([layer], config=config))


def test_verify_does_not_trust_a_cache_entry_an_earlier_archive_poisoned(tmp_path):
    genuine = tb.layer(tb.member("genuine", b"g"))
    forged = tb.layer(tb.member("forged", b"f"))
    poisoner = _archive(tmp_path, forged, claimed=genuine)  # claims the genuine layer's diff ID
    cache = CacheStore()
    open_source(poisoner).read(None, cache)
    assert [e.path for e in CacheStore().get(tb.sha(genuine)).entries] == ["/forged"]

    honest = tb.write(tmp_path / "honest.tar", tb.docker_archive([genuine]))
    verify = ReadOptions(verify=True)
    image = open_source(honest).read(None, CacheStore(reuse=False), verify)
    assert [e.path for e in image.layers[0].files] == ["/genuine"]
    assert [e.path for e in CacheStore().get(tb.sha(genuine)).entries] == ["/genuine"]  # repaired

    with pytest.raises(LayerReadError, match=r"^layer 0 \(sha256:[0-9a-f]{64}\): its content"):
        open_source(poisoner).read(None, CacheStore(reuse=False), verify)


def test_a_cache_directory_of_another_user_is_refused(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    directory.mkdir()
    monkeypatch.setattr(os, "getuid", lambda: os.stat(directory).st_uid + 1)
    with pytest.raises(CacheError, match="belongs to another user") as raised:
        CacheStore(directory).store_config("sha256:" + "0" * 64, b"{}")
    assert "LAYERSCOPE_CACHE_DIR" in raised.value.hint
    assert list(directory.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the directory away")
def test_the_command_line_refuses_a_cache_of_another_user(tmp_path):
    directory = tmp_path / "cache"
    directory.mkdir()
    os.chown(directory, 65534, 65534)
    archive = tb.write(tmp_path / "image.tar", tb.docker_archive([tb.layer(tb.member("a", b"a"))]))
    result = subprocess.run([sys.executable, "-m", "layerscope", "inspect", archive, "--format",
                             "json"], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env=dict(os.environ, LAYERSCOPE_CACHE_DIR=str(directory)))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(
        f"layerscope: error: the cache directory {directory} belongs to another user\n"
        "hint: set LAYERSCOPE_CACHE_DIR to a directory of your own, or pass --no-cache")
    assert list(directory.iterdir()) == []
    ok = subprocess.run([sys.executable, "-m", "layerscope", "inspect", archive, "--no-cache",
                         "--format", "json"], capture_output=True, text=True, timeout=60,
                        cwd=tmp_path, env=dict(os.environ, LAYERSCOPE_CACHE_DIR=str(directory)))
    assert ok.returncode == 0 and json.loads(ok.stdout)


def test_library_errors_are_layerscope_errors():
    assert issubclass(CacheError, LayerscopeError)
