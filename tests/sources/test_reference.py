"""open_source: which source class a reference selects, and what it is told to select."""

import os

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


# --------------------------------------------------------------- containers/image's grammar


def test_an_oci_ref_may_hold_colons_itself(tmp_path):
    # podman and skopeo name images in a layout `localhost/app:1.0`: the directory ends at the
    # first colon, as containers/image splits, and the whole rest is the ref
    layout = tmp_path / "layout"
    layout.mkdir()
    for reference in (f"oci:{layout}:localhost/app:1.0", f"oci:{tmp_path}/missing:localhost/app:1.0"):
        source = open_source(reference)
        directory = reference.split(":")[1]
        assert (source.directory, source.selection.tag) == (directory, "localhost/app:1.0")
    archive = open_source(f"oci-archive:{tmp_path}/x.tar:localhost/app:1.0")
    assert (archive.path, archive.selection.tag) == (f"{tmp_path}/x.tar", "localhost/app:1.0")


def test_an_existing_path_with_colons_keeps_them_before_the_ref(tmp_path):
    layout = tmp_path / "a:b"
    layout.mkdir()
    source = open_source(f"oci:{layout}:localhost/app:1.0")
    assert (source.directory, source.selection.tag) == (str(layout), "localhost/app:1.0")


def test_an_existing_plain_path_plus_tag_is_that_path_with_a_tag(tmp_path):
    layout = tmp_path / "layout"
    layout.mkdir()
    archive = tmp_path / "saved.tar"
    archive.write_bytes(b"")
    directory = open_source(f"{layout}:localhost/app:1.0")
    assert isinstance(directory, OciLayoutSource)
    assert (directory.directory, directory.selection.tag) == (str(layout), "localhost/app:1.0")
    saved = open_source(f"{archive}:app:1.0")
    assert isinstance(saved, ArchiveFileSource)
    assert (saved.path, saved.selection.tag) == (str(archive), "app:1.0")
    assert local_path(f"{archive}:app:1.0") == str(archive)


def test_a_file_in_the_working_directory_does_not_hide_an_engine_image(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "size").write_bytes(b"")
    assert isinstance(open_source("size:latest"), EngineSource)


@pytest.mark.parametrize(
    ("reference", "transport"),
    [("podman:size:latest", "podman"), ("podman:alpine", "podman"),
     ("containerd:app", "containerd"), ("oci-archve:/tmp/x.tar", "oci-archve"),
     ("docker-deamon:size:latest", "docker-deamon"), ("ostree:/repo", "ostree"),
     ("tarball:/tmp/rootfs.tar", "tarball"), ("mystery:/tmp/x", "mystery")],
)
def test_an_unknown_transport_is_refused_with_the_list(reference, transport):
    with pytest.raises(UsageError) as raised:
        open_source(reference)
    message = raised.value.message
    assert message.startswith(f"{reference}: ")
    assert f"{transport}:" in message
    for known in ("containers-storage:", "dir:", "docker://", "docker-archive:",
                  "docker-daemon:", "oci:", "oci-archive:"):
        assert known in message
    assert raised.value.hint == {
        "podman": "podman's and buildah's images: containers-storage:NAME; "
                  "an engine image so named: docker-daemon:podman:" + reference[7:],
        "containerd": "an engine image so named: docker-daemon:containerd:app",
        "oci-archve": "did you mean oci-archive:?",
        "docker-deamon": "did you mean docker-daemon:?",
        "mystery": "a path is read as a file or directory; docker-daemon:NAME names an engine "
                   "image",
    }.get(transport, raised.value.hint)
    assert raised.value.hint
    assert local_path(reference) is None  # a replayed run never keys on it either


@pytest.mark.parametrize(
    "reference",
    ["localhost:5000/app:1.0", "registry.example:5000/team/app", "registry:2", "image:1",
     "app:1.0@sha256:" + "b" * 64, "app@sha256:" + "c" * 64, "ghcr.io/owner/app:v1",
     "size:1.0-rc_2", "docker:plain"],
)
def test_engine_names_with_colons_stay_engine_images(reference):
    source = open_source(reference)
    assert isinstance(source, EngineSource) and source.name == reference


def test_dir_transport(tmp_path):
    from layerscope.sources.dir_layout import DirLayoutSource

    source = open_source(f"dir:{tmp_path}/copied")
    assert isinstance(source, DirLayoutSource) and source.directory == f"{tmp_path}/copied"
    assert local_path(f"dir:{tmp_path}/copied") == f"{tmp_path}/copied"


@pytest.mark.parametrize(
    ("rest", "expected"),
    [("[overlay@/srv/store]app:1", ("app:1", "/srv/store", "overlay")),
     ("[overlay@/srv/store+/run/x:overlay.mountopt=nodev]localhost/app:1",
      ("localhost/app:1", "/srv/store", "overlay")),
     ("[/srv/store]app", ("app", "/srv/store", None)),
     ("[vfs@/srv/store]@" + "d" * 64, ("@" + "d" * 64, "/srv/store", "vfs"))],
)
def test_containers_storage_references(rest, expected):
    from layerscope.sources.containers_storage import ContainersStorageSource

    source = open_source(f"containers-storage:{rest}")
    assert isinstance(source, ContainersStorageSource)
    name, root, driver = expected
    found = source.reference
    assert (found.name, found.root) == (name, root)
    assert driver is None or found.driver == driver
    assert local_path(f"containers-storage:{rest}") is None


def test_containers_storage_default_root_comes_from_storage_conf(tmp_path, monkeypatch):
    from layerscope.sources.containers_storage import parse

    conf = tmp_path / "storage.conf"
    conf.write_text('[storage]\ndriver = "overlay"\ngraphroot = "/srv/podman"\n'
                    'rootless_storage_path = "/srv/podman"\n')
    monkeypatch.setenv("CONTAINERS_STORAGE_CONF", str(conf))
    assert (parse("app").root, parse("app").driver) == ("/srv/podman", "overlay")
    monkeypatch.setenv("CONTAINERS_STORAGE_CONF", str(tmp_path / "none.conf"))
    assert parse("app").root in ("/var/lib/containers/storage",
                                 os.path.expanduser("~/.local/share/containers/storage"))


@pytest.mark.parametrize("rest", ["", "[overlay@/srv/store", "[overlay@/srv/store]"])
def test_containers_storage_reference_errors(rest):
    with pytest.raises(UsageError):
        open_source(f"containers-storage:{rest}")
