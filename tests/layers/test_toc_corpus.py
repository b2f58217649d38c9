"""Every layer of every readable case of the hostile corpus (long and odd names, PAX records,
links, whiteouts, duplicates, odd owners and modes), written as zstd:chunked and as eStargz:
indexed from its TOC, it is the tar reader's index of the same blob, entry by entry, with the
same captured files; or, for a name that is not UTF-8 (which a TOC, JSON, cannot spell), the
TOC is refused and the layer is read whole."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from layerscope.analysis.packages import PACKAGE_DATABASES
from layerscope.layers.blob import index_blob
from layerscope.layers.limits import ReadOptions
from layerscope.layers.toc import TocUnusable, tar_hashes, with_tar_hashes
from layerscope.layers.toc_read import index_from_toc
from tests.hostile.corpus import CASES
from tests.tocformats import BlobRanges, Unsupported, to_estargz, to_zstd_chunked, uncompressed

OPTIONS = ReadOptions(capture=PACKAGE_DATABASES)
READABLE = [case for case in CASES if case.exit_code == 0 and not case.heavy]
WRITERS = {"application/vnd.oci.image.layer.v1.tar+zstd": to_zstd_chunked,
           "application/vnd.oci.image.layer.v1.tar+gzip": to_estargz}


def layers_of(root: Path):
    """The uncompressed layer tars a case wrote: in layout directories and inside archives."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.name == "layer.tar" or "blobs" in path.parts:
            yield uncompressed(path.read_bytes())
        elif path.suffix in (".tar", ".gz"):
            try:
                with tarfile.open(fileobj=io.BytesIO(uncompressed(path.read_bytes()))) as outer:
                    for member in outer.getmembers():
                        if member.isfile() and (member.name.endswith("layer.tar")
                                                or "blobs/" in member.name):
                            yield uncompressed(outer.extractfile(member).read())
            except tarfile.TarError:
                continue


def tars(root: Path):
    for data in layers_of(root):
        try:
            tarfile.open(fileobj=io.BytesIO(data)).getmembers()
        except tarfile.TarError:
            continue  # a config or manifest blob
        yield data


@pytest.mark.parametrize("case", READABLE, ids=[case.name for case in READABLE])
def test_corpus_layers_index_from_their_toc_as_from_their_tar(case, tmp_path):
    case.build(tmp_path)
    for tar in tars(tmp_path):
        for media_type, write in WRITERS.items():
            try:
                blob, annotations = write(tar)
            except Unsupported:
                continue  # a sparse file or an unknown type: no TOC writer is imitated here
            whole = index_blob(io.BytesIO(blob), len(blob), options=OPTIONS)
            try:
                indexed = index_from_toc(media_type, annotations, BlobRanges(blob), OPTIONS)
            except TocUnusable as error:
                assert "not UTF-8" in error.message and "not-utf8" in case.name
                continue
            every = sorted(indexed.content.pieces)
            hashed = with_tar_hashes(indexed.blob, every, tar_hashes(
                BlobRanges(blob), indexed.content, every,
                [indexed.blob.entries[i].size for i in every]))
            assert hashed.entries == whole.entries
            assert (indexed.blob.size, indexed.blob.captured) == (whole.size, whole.captured)
