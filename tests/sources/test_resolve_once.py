"""A file source asked for its identity (the report key) and then read resolves the archive's
metadata once: the headers, the manifest and the config are not looked for again."""

import tarfile

import pytest

from layerscope.layers.cache import CacheStore
from layerscope.sources import manifests
from layerscope.sources.reference import open_source
from tests.imagebuilder import ImageSpec, Step, file, write_docker_archive, write_oci_layout

SPEC = ImageSpec((Step("COPY . /", (file("/a", b"a" * 100),)),
                  Step("RUN make", (file("/b", b"b" * 100),))))


@pytest.fixture
def documents_read(monkeypatch):
    """The names of the metadata documents parsed, in order (the real parser, counted)."""
    names: list[str] = []
    parse = manifests.read_json

    def counted(store, name, *args, **kwargs):
        names.append(name)
        return parse(store, name, *args, **kwargs)

    monkeypatch.setattr(manifests, "read_json", counted)
    return names


@pytest.mark.parametrize("layout", ["legacy", "oci"])
def test_an_archive_is_resolved_once(tmp_path, monkeypatch, documents_read, layout):
    headers = []
    getmembers = tarfile.TarFile.getmembers
    monkeypatch.setattr(tarfile.TarFile, "getmembers",
                        lambda tar: headers.append(tar) or getmembers(tar))
    source = open_source(str(write_docker_archive(SPEC, tmp_path / "a.tar", layout=layout)))
    image_id = source.identity()
    image = source.read(None, CacheStore(tmp_path / "cache"))
    assert image.image_id == image_id and len(image.layers) == 2
    assert documents_read == ["manifest.json"]
    assert len(headers) == 1


def test_a_layout_is_resolved_once(tmp_path, documents_read):
    source = open_source(f"oci:{write_oci_layout(SPEC, tmp_path / 'layout')}")
    image_id = source.identity()
    image = source.read(None, CacheStore(tmp_path / "cache"))
    assert image.image_id == image_id
    assert documents_read.count("index.json") == 1
