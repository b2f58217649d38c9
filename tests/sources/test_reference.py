"""open_source: which source class a reference selects, and what it is told to select."""

import pytest

from layerscope.errors import UsageError
from layerscope.sources.archive import ArchiveFileSource
from layerscope.sources.engine import EngineSource
from layerscope.sources.oci_layout import OciLayoutSource
from layerscope.sources.reference import local_path, open_source
from layerscope.sources.registry import RegistrySource


@pytest.mark.parametrize(
    ("reference", "name"),
    [
        ("size:latest", "size:latest"),
        ("docker-daemon:x:y", "x:y"),
        ("busybox", "busybox"),
        ("sha256:" + "a" * 64, "sha256:" + "a" * 64),
    ],
)
def test_engine_references(reference, name):
    source = open_source(reference, "linux/arm64")
    assert isinstance(source, EngineSource)
    assert (source.name, source.selection.ref, source.selection.platform) == (
        name,
        reference,
        "linux/arm64",
    )


def test_docker_archive_prefix(tmp_path):
    source = open_source(f"docker-archive:{tmp_path}/img.tar")
    assert isinstance(source, ArchiveFileSource)
    assert (source.path, source.selection.tag) == (f"{tmp_path}/img.tar", None)


def test_docker_archive_with_name_and_tag(tmp_path):
    source = open_source(f"docker-archive:{tmp_path}/img.tar:app:1.0")
    assert (source.path, source.selection.tag) == (f"{tmp_path}/img.tar", "app:1.0")


@pytest.mark.parametrize("reference", ["x.tar", "out/image.tar.gz", "./image", "/abs/image"])
def test_path_looking_references_are_archives_even_when_missing(reference):
    source = open_source(reference)
    assert isinstance(source, ArchiveFileSource)
    assert source.path == reference


def test_an_existing_file_is_an_archive(tmp_path):
    path = tmp_path / "saved-image"
    path.write_bytes(b"")
    source = open_source(str(path))
    assert isinstance(source, ArchiveFileSource)
    assert not source.selection.oci_index


def test_an_existing_directory_is_an_oci_layout(tmp_path):
    source = open_source(str(tmp_path))
    assert isinstance(source, OciLayoutSource)
    assert (source.directory, source.selection.tag) == (str(tmp_path), None)


def test_oci_prefix_with_and_without_tag(tmp_path):
    plain = open_source(f"oci:{tmp_path}")
    tagged = open_source(f"oci:{tmp_path}:v2", "linux/amd64")
    assert isinstance(plain, OciLayoutSource) and isinstance(tagged, OciLayoutSource)
    assert (plain.directory, plain.selection.tag, plain.selection.oci_index) == (
        str(tmp_path),
        None,
        True,
    )
    assert (tagged.directory, tagged.selection.tag, tagged.selection.platform) == (
        str(tmp_path),
        "v2",
        "linux/amd64",
    )


def test_an_existing_path_with_a_colon_is_not_split(tmp_path):
    layout = tmp_path / "a:b"
    layout.mkdir()
    source = open_source(f"oci:{layout}")
    assert (source.directory, source.selection.tag) == (str(layout), None)


def test_oci_archive_prefix(tmp_path):
    source = open_source(f"oci-archive:{tmp_path}/x.tar:stable")
    assert isinstance(source, ArchiveFileSource)
    assert (source.path, source.selection.tag, source.selection.oci_index) == (
        f"{tmp_path}/x.tar",
        "stable",
        True,
    )


def test_registry_references_are_registry_sources():
    # reading nothing yet: the source contacts the registry only when asked for the image
    source = open_source("docker://docker.io/library/alpine:3", "linux/arm64")
    assert isinstance(source, RegistrySource)
    assert (str(source.name), source.selection.ref, source.selection.platform) == (
        "registry-1.docker.io/library/alpine:3", "docker://docker.io/library/alpine:3",
        "linux/arm64")


def test_an_empty_reference_is_a_usage_error():
    with pytest.raises(UsageError, match="required"):
        open_source("")


@pytest.mark.parametrize(
    "reference",
    ["size:latest", "docker-daemon:x:y", "busybox", "sha256:" + "a" * 64, "docker:plain",
     "docker-archive:{d}/img.tar", "docker-archive:{d}/img.tar:app:1.0", "x.tar", "./image",
     "{d}", "{d}/file", "oci:{d}", "oci:{d}:v2", "oci:{d}/a:b", "oci-archive:{d}/x.tar:stable"],
)
def test_local_path_names_what_open_source_reads(tmp_path, reference):
    (tmp_path / "file").write_bytes(b"")
    (tmp_path / "a:b").mkdir()
    reference = reference.format(d=tmp_path)
    source = open_source(reference)
    expected = None if isinstance(source, EngineSource) else getattr(
        source, "path", getattr(source, "directory", None))
    assert local_path(reference) == expected


def test_local_path_of_a_registry_reference_is_none():
    assert local_path("docker://docker.io/library/alpine:3") is None
