"""A layer's tar rebuilt from its tar-split and its directory is the tar it was made from."""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import tarfile

import pytest

from layerscope.errors import LayerReadError
from layerscope.sources.tar_split import TarSplitStream


def write_layer(tmp_path, files: dict[str, bytes]):
    """(the tar's bytes, a tar-split of it as tar-split writes one, the directory unpacked):
    every byte that is not file content kept as a segment, each content by name and size."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    lines, position = [], 0
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for member in tar:
            lines.append({"type": 2, "payload": base64.b64encode(
                raw[position:member.offset_data]).decode()})
            lines.append({"type": 1, "name": member.name, "size": member.size})
            position = member.offset_data + member.size
    lines.append({"type": 2, "payload": base64.b64encode(raw[position:]).decode()})
    split = tmp_path / "layer.tar-split.gz"
    with gzip.open(split, "wt") as out:
        out.writelines(json.dumps(line) + "\n" for line in lines)
    directory = tmp_path / "diff"
    for name, data in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    return raw, split, directory


def test_the_rebuilt_tar_is_the_original(tmp_path):
    raw, split, directory = write_layer(tmp_path, {"a": b"x" * 3000, "d/e": b"", "d/f": b"yz"})
    stream = TarSplitStream(str(split), str(directory))
    pieces = []
    while chunk := stream.read(700):  # reads that cut headers and contents anywhere
        pieces.append(chunk)
    assert b"".join(pieces) == raw


def test_a_file_that_shrank_is_a_layer_error(tmp_path):
    _, split, directory = write_layer(tmp_path, {"a": b"x" * 3000})
    (directory / "a").write_bytes(b"x" * 10)
    with pytest.raises(LayerReadError, match="shorter"):
        TarSplitStream(str(split), str(directory)).read()


def test_a_symlinked_parent_never_leads_out_of_the_directory(tmp_path):
    _, split, directory = write_layer(tmp_path, {"d/secret": b"s" * 5})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"S" * 5)
    (directory / "d" / "secret").unlink()
    (directory / "d").rmdir()
    os.symlink(outside, directory / "d")
    with pytest.raises(LayerReadError, match="outside the layer directory"):
        TarSplitStream(str(split), str(directory)).read()
    (directory / "d").unlink()
    (directory / "d").mkdir()
    os.symlink(outside / "secret", directory / "d" / "secret")
    with pytest.raises(LayerReadError, match="cannot read d/secret"):
        TarSplitStream(str(split), str(directory)).read()
