"""Sample images with zstd:chunked layers (written by skopeo, the real writer) and eStargz
layers (tests/tocformats.py, from the same layers): every layer indexed from its TOC alone is
the tar reader's index of the whole layer, entry by entry, with the same captured package
files; the inspect JSON made from the TOC indexes is byte for byte the one `layerscope
inspect oci:DIR` prints from the whole layers, also when TOC layers are mixed with layers read
whole; and a story image needs at most 5% of its compressed bytes fetched."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import replace

import pytest

from layerscope.analysis.image_report import analyze
from layerscope.analysis.packages import PACKAGE_DATABASES
from layerscope.commands.inspect import with_findings
from layerscope.formats.base import RenderOptions, formatter
from layerscope.layers.blob import index_blob
from layerscope.layers.cache import CacheStore
from layerscope.layers.limits import ReadOptions
from layerscope.layers.toc import tar_hashes, with_tar_hashes
from layerscope.layers.toc_read import index_from_toc
from layerscope.sources.base import LayerDescriptor
from layerscope.sources.reference import open_source
from layerscope.sources.toc_source import TocCache, comparable
from tests.inprocess import run_main
from tests.tocformats import FileRanges, blob_path, estargz_layout, layout_layers

pytestmark = pytest.mark.engine

IMAGES = ("chmod:latest", "overwrite:latest", "opaque:latest", "links:latest", "caches:latest",
          "deep:latest", "multistage:latest", "size:latest", "size:v4")
"""The zoo (each a waste case: metadata-only, overwritten, opaque, hard links, caches, deep
paths, multistage) and the smallest story image (skopeo takes 13 s to write it; size:v1, four
times that, was measured once by hand: see docs/architecture.md)."""
STORY = ("size:v4",)
FORMS = ("zstd:chunked", "estargz")
OPTIONS = ReadOptions(capture=PACKAGE_DATABASES)


@pytest.fixture(scope="module")
def layouts(client, tmp_path_factory):
    """image -> form -> an OCI layout of it with layers in that form."""
    if shutil.which("skopeo") is None:
        pytest.fail("skopeo is not installed (scripts/registry.sh installs it; make test runs it)")
    root = tmp_path_factory.mktemp("toc-layouts")
    made = {}
    for image in IMAGES:
        name = image.replace(":", "-")
        chunked = root / f"{name}-zstd-chunked"
        done = subprocess.run(
            ["skopeo", "copy", "-q", "--src-daemon-host", os.environ["DOCKER_HOST"],
             "--dest-compress-format", "zstd:chunked", f"docker-daemon:{image}",
             f"oci:{chunked}:latest"], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        made[image] = {"zstd:chunked": chunked,
                       "estargz": estargz_layout(chunked, root / f"{name}-estargz")}
    return made


def descriptors(layout):
    """Each layer's descriptor and a counting range reader of its blob file."""
    return [(LayerDescriptor(d["mediaType"], d["size"], d["digest"], d.get("annotations", {})),
             FileRanges(blob_path(layout, d["digest"]))) for d in layout_layers(layout)[2]]


def toc_layers(layout):
    """Each layer's TOC index (None for a layer without TOC) and its reader."""
    return [(index_from_toc(d.media_type, d.annotations, reader, OPTIONS), reader)
            for d, reader in descriptors(layout)]


def render(image) -> bytes:
    text = formatter("inspect", "json")(with_findings(analyze(image)), RenderOptions())
    return text.encode("utf-8", "surrogateescape")


def whole_image(layout):
    """The image as the oci: transport reads it: every layer whole."""
    return open_source(f"oci:{layout}").read(None, CacheStore(persistent=False), OPTIONS)


def with_layers(image, blobs: dict):
    """The image with the layers at the given positions indexed otherwise."""
    layers = list(image.layers)
    for position, blob in blobs.items():
        layers[position] = replace(layers[position], files=blob.entries, size=blob.size,
                                   captured=blob.captured)
    return replace(image, layers=tuple(layers))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("image", IMAGES)
def test_each_layer_indexes_from_its_toc_as_from_its_tar(layouts, image, form):
    layout = layouts[image][form]
    for (indexed, reader), (descriptor, _) in zip(toc_layers(layout), descriptors(layout)):
        assert indexed is not None, descriptor
        stored = blob_path(layout, descriptor.digest).read_bytes()
        whole = index_blob(io.BytesIO(stored), len(stored), options=OPTIONS)
        every = sorted(indexed.content.pieces)
        hashed = with_tar_hashes(indexed.blob, every, tar_hashes(
            reader, indexed.content, every, [indexed.blob.entries[i].size for i in every]))
        assert hashed.entries == whole.entries, descriptor.digest
        assert indexed.blob.size == whole.size
        assert indexed.blob.captured == whole.captured


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("image", IMAGES)
def test_the_report_from_tocs_is_the_whole_layers_report(layouts, image, form, tmp_path,
                                                         monkeypatch):
    layout = layouts[image][form]
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    code, printed = run_main("inspect", f"oci:{layout}", "--format", "json", "--no-cache")
    assert code == 0
    tocs = {i: indexed.blob for i, (indexed, _) in enumerate(toc_layers(layout))}
    assert render(with_layers(whole_image(layout), tocs)) == printed


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("image", ("chmod:latest", "overwrite:latest", "links:latest", "size:v4"))
def test_toc_layers_over_whole_layers_give_the_same_report(layouts, image, form):
    """Every other layer from its TOC, the rest as a tar gives them (as from the cache): the
    versions where kinds meet are hashed from their bytes, and nothing else is fetched."""
    layout = layouts[image][form]
    whole = whole_image(layout)
    for first in (0, 1):
        tocs = {i: indexed.blob for i, (indexed, _) in enumerate(toc_layers(layout))
                if i % 2 == first}
        blobs = descriptors(layout)
        contents = {}
        for position, (descriptor, reader) in enumerate(blobs):
            if position in tocs:
                indexed = index_from_toc(descriptor.media_type, descriptor.annotations, reader,
                                         OPTIONS)
                contents[descriptor.digest] = indexed.content
        mixed = comparable(with_layers(whole, tocs), blobs, TocCache(CacheStore(persistent=False)),
                           OPTIONS, contents, lambda d: pytest.fail(f"{d} read whole"))
        assert render(mixed) == render(whole)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("image", STORY)
def test_story_images_fetch_at_most_five_percent(layouts, image, form):
    layers = toc_layers(layouts[image][form])
    fetched = sum(reader.fetched for _, reader in layers)
    stored = sum(reader.size for _, reader in layers)
    assert fetched <= 0.05 * stored, (fetched, stored)
