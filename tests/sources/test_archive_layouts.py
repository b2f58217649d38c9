"""One ImageSpec read through every archive layout gives the same Image; bad input fails cleanly."""

import hashlib
import io
import json
import tarfile

import pytest

from layerscope.errors import LayerReadError, LayerscopeError, SourceError
from layerscope.model import EntryKind, FileEntry, HistoryEntry
from layerscope.sources.reference import open_source
from tests.imagebuilder import (
    CREATED,
    LAYER_MEDIA_TYPES,
    ImageSpec,
    Step,
    _build,
    directory,
    file,
    hardlink,
    opaque,
    symlink,
    whiteout,
    write_docker_archive,
    write_oci_archive,
    write_oci_layout,
)

SPEC = ImageSpec(
    steps=(
        Step(
            "/bin/sh -c #(nop) ADD file:abc in / ",
            (
                directory("/etc"),
                file("/etc/os-release", "ID=test\n"),
                directory("/bin"),
                file("/bin/sh", b"\x7fELF" + bytes(996), mode=0o755),
                symlink("/bin/ash", "/bin/sh"),
                hardlink("/bin/busybox", "/bin/sh"),
            ),
        ),
        Step('/bin/sh -c #(nop)  CMD ["/bin/sh"]', None),
        Step(
            "RUN /bin/sh -c echo hi > /tmp/log # buildkit",
            (
                directory("/tmp"),
                file("/tmp/log", "hi\n"),
                whiteout("/etc/os-release"),
            ),
        ),
        Step(
            "COPY cache /var/cache # buildkit",
            (opaque("/var/cache"), file("/var/cache/c", "c" * 50)),
        ),
    ),
    repo_tag="example/app:1.2",
)
EXPECTED_FILES = (
    (
        FileEntry("/etc", EntryKind.DIRECTORY, 0, mode=0o755),
        ("/etc/os-release", EntryKind.FILE, 8),
        FileEntry("/bin", EntryKind.DIRECTORY, 0, mode=0o755),
        ("/bin/sh", EntryKind.FILE, 1000),
        FileEntry("/bin/ash", EntryKind.SYMLINK, 7, mode=0o777, link_target="/bin/sh"),
        FileEntry("/bin/busybox", EntryKind.HARDLINK, 0, mode=0o644, link_target="/bin/sh"),
    ),
    (
        FileEntry("/tmp", EntryKind.DIRECTORY, 0, mode=0o755),
        ("/tmp/log", EntryKind.FILE, 3),
        FileEntry("/etc/os-release", EntryKind.WHITEOUT, 0),
    ),
    (FileEntry("/var/cache", EntryKind.OPAQUE, 0), ("/var/cache/c", EntryKind.FILE, 50)),
)
BUILT = _build(SPEC)
CONFIG = json.loads(BUILT.config)


def summary(entry: FileEntry):
    return (entry.path, entry.kind, entry.size) if entry.kind == EntryKind.FILE else entry


WRITERS = {
    "docker-legacy": lambda p: f"docker-archive:{write_docker_archive(SPEC, p / 'i.tar')}",
    "docker-oci-none": lambda p: str(write_docker_archive(SPEC, p / "i.tar", layout="oci")),
    "docker-oci-gzip": lambda p: str(
        write_docker_archive(SPEC, p / "i.tar", layout="oci", compression="gzip")
    ),
    "docker-oci-zstd": lambda p: str(
        write_docker_archive(SPEC, p / "i.tar", layout="oci", compression="zstd")
    ),
    "oci-gzip": lambda p: f"oci:{write_oci_layout(SPEC, p / 'lay')}",
    "oci-zstd": lambda p: f"oci:{write_oci_layout(SPEC, p / 'lay', compression='zstd')}",
    "oci-none": lambda p: str(write_oci_layout(SPEC, p / "lay", compression="none")),
    "oci-archive": lambda p: f"oci-archive:{write_oci_archive(SPEC, p / 'o.tar')}",
}


@pytest.mark.parametrize("layout", WRITERS)
def test_every_layout_reads_to_the_same_image(tmp_path, layout):
    reference = WRITERS[layout](tmp_path)
    image = open_source(reference).read()
    assert image.ref == reference
    assert image.image_id == "sha256:" + hashlib.sha256(BUILT.config).hexdigest()
    assert (image.architecture, image.os) == ("amd64", "linux")
    assert [tuple(summary(e) for e in layer.files) for layer in image.layers] == list(
        EXPECTED_FILES
    )
    assert [layer.size for layer in image.layers] == [1015, 3, 50]
    assert image.size == 1068
    assert [layer.diff_id for layer in image.layers] == CONFIG["rootfs"]["diff_ids"]
    assert [layer.index for layer in image.layers] == [0, 1, 2]
    assert image.history == (
        HistoryEntry("/bin/sh -c #(nop) ADD file:abc in / ", False, CREATED),
        HistoryEntry('/bin/sh -c #(nop)  CMD ["/bin/sh"]', True, CREATED),
        HistoryEntry("RUN /bin/sh -c echo hi > /tmp/log # buildkit", False, CREATED),
        HistoryEntry("COPY cache /var/cache # buildkit", False, CREATED),
    )


def test_content_hashes_agree_across_codecs(tmp_path):
    gz = open_source(f"oci:{write_oci_layout(SPEC, tmp_path / 'g')}").read()
    zs = open_source(f"oci:{write_oci_layout(SPEC, tmp_path / 'z', compression='zstd')}").read()
    assert [e.content_hash for e in gz.layers[0].files] == [
        e.content_hash for e in zs.layers[0].files
    ]


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_compressed_blobs_record_media_type_and_compressed_size(tmp_path, compression):
    root = write_oci_layout(SPEC, tmp_path / "lay", compression=compression)
    image = open_source(f"oci:{root}").read()
    manifest = next(
        json.loads(p.read_bytes())
        for p in (root / "blobs/sha256").iterdir()
        if b'"layers":[' in p.read_bytes()
    )
    assert [layer.compressed_size for layer in image.layers] == [
        d["size"] for d in manifest["layers"]
    ]
    assert all(size > 0 for size in (layer.compressed_size for layer in image.layers))
    assert {layer.media_type for layer in image.layers} == {LAYER_MEDIA_TYPES[compression]}


def test_uncompressed_blobs_have_no_compressed_size(tmp_path):
    image = open_source(str(write_oci_layout(SPEC, tmp_path / "l", compression="none"))).read()
    assert [layer.compressed_size for layer in image.layers] == [None, None, None]
    assert image.layers[0].media_type == LAYER_MEDIA_TYPES["none"]


def test_legacy_archive_has_no_media_types(tmp_path):
    image = open_source(str(write_docker_archive(SPEC, tmp_path / "i.tar"))).read()
    assert [(layer.media_type, layer.compressed_size) for layer in image.layers] == [
        (None, None)
    ] * 3


def test_docker_archives_report_their_repo_tags(tmp_path):
    legacy = open_source(str(write_docker_archive(SPEC, tmp_path / "a.tar"))).read()
    modern = open_source(str(write_docker_archive(SPEC, tmp_path / "b.tar", layout="oci"))).read()
    assert legacy.repo_tags == modern.repo_tags == ("example/app:1.2",)


def test_oci_layout_reports_its_ref_name(tmp_path):
    image = open_source(f"oci:{write_oci_layout(SPEC, tmp_path / 'l', tag='v7')}").read()
    assert image.repo_tags == ("v7",)


def test_legacy_archive_with_two_identical_layers_reads_both(tmp_path):
    same = (file("/data", "x" * 40),)
    spec = ImageSpec((Step("COPY a /", same), Step("RUN true", ()), Step("COPY a / again", same)))
    path = write_docker_archive(spec, tmp_path / "dup.tar")
    with tarfile.open(path) as tar:
        assert sum(m.issym() for m in tar.getmembers()) == 1  # the builder really linked it
    image = open_source(str(path)).read()
    assert [layer.size for layer in image.layers] == [40, 0, 40]
    assert image.layers[0].files == image.layers[2].files
    assert image.layers[0].diff_id == image.layers[2].diff_id


# ---------------------------------------------------------------- platforms and tags


def platform_spec(arch: str, variant=None) -> ImageSpec:
    return ImageSpec(
        (Step(f"COPY {arch} /", (file(f"/{arch}", arch),)),), architecture=arch, variant=variant
    )


MULTI = [platform_spec("amd64"), platform_spec("arm64", "v8"), platform_spec("arm", "v7")]


def test_platform_option_selects_from_a_multi_platform_index(tmp_path):
    root = write_oci_layout(MULTI, tmp_path / "multi")
    image = open_source(f"oci:{root}", "linux/arm64").read()
    assert image.architecture == "arm64"
    assert [e.path for e in image.layers[0].files] == ["/arm64"]


def test_default_platform_is_the_hosts(tmp_path, monkeypatch):
    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    image = open_source(str(write_oci_layout(MULTI, tmp_path / "multi"))).read()
    assert image.architecture == "amd64"
    assert [e.path for e in image.layers[0].files] == ["/amd64"]


def test_an_absent_platform_lists_the_available_ones(tmp_path):
    root = write_oci_archive(MULTI, tmp_path / "multi.tar")
    with pytest.raises(SourceError) as raised:
        open_source(f"oci-archive:{root}", "linux/s390x").read()
    assert raised.value.message == (
        f"oci-archive:{root} has no image for platform linux/s390x; "
        "available: linux/amd64, linux/arm/v7, linux/arm64/v8"
    )


def test_oci_tag_selects_by_ref_name(tmp_path):
    root = write_oci_layout(SPEC, tmp_path / "lay", tag="stable")
    assert open_source(f"oci:{root}:stable").read().repo_tags == ("stable",)


def test_a_wrong_oci_tag_lists_the_tags(tmp_path):
    root = write_oci_layout(SPEC, tmp_path / "lay", tag="stable")
    with pytest.raises(SourceError) as raised:
        open_source(f"oci:{root}:nightly").read()
    assert raised.value.message == "no image tagged 'nightly' in the layout; tags: stable"


# ---------------------------------------------------------------- bad input


def rewrite_tar(source, target, change):
    """Copy a tar, letting change(name, data) return new bytes, or None to drop the member."""
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read() if member.isreg() else None
            if data is not None:
                data = change(member.name, data)
                if data is None:
                    continue
                member.size = len(data)
            new.addfile(member, None if data is None else io.BytesIO(data))
    return target


def read_error(reference) -> LayerscopeError:
    with pytest.raises(LayerscopeError) as raised:
        open_source(str(reference)).read()
    return raised.value


def test_missing_file(tmp_path):
    error = read_error(tmp_path / "nope.tar")
    assert type(error) is SourceError
    assert error.message == f"no such archive: {tmp_path}/nope.tar"


def test_empty_file(tmp_path):
    (tmp_path / "empty.tar").write_bytes(b"")
    error = read_error(tmp_path / "empty.tar")
    assert type(error) is SourceError
    assert error.message == f"{tmp_path}/empty.tar is not a tar archive (empty file)"


def test_not_a_tar(tmp_path):
    (tmp_path / "junk.tar").write_bytes(b"hello, this is text\n" * 100)
    error = read_error(tmp_path / "junk.tar")
    assert type(error) is SourceError
    assert error.message.startswith(f"{tmp_path}/junk.tar is not a tar archive")


def test_tar_without_manifest_or_index(tmp_path):
    path = tmp_path / "plain.tar"
    with tarfile.open(path, "w") as tar:
        tar.add(__file__, arcname="readme.txt")
    error = read_error(path)
    assert type(error) is SourceError
    assert error.message == (
        f"{path} is not an image archive: it has neither manifest.json nor index.json"
    )


def test_manifest_naming_a_missing_config(tmp_path):
    good = write_docker_archive(SPEC, tmp_path / "good.tar")
    bad = rewrite_tar(
        good,
        tmp_path / "bad.tar",
        lambda name, data: (
            None if name.endswith(".json") and name != "manifest.json" and "/" not in name else data
        ),
    )
    error = read_error(bad)
    assert type(error) is SourceError
    config_name = hashlib.sha256(BUILT.config).hexdigest() + ".json"
    assert error.message == f"image config {config_name} is missing from the archive"


def test_manifest_naming_a_missing_layer(tmp_path):
    good = write_docker_archive(SPEC, tmp_path / "good.tar", layout="oci", compression="gzip")
    first_layer = json.loads(tarfile.open(good).extractfile("manifest.json").read())[0]["Layers"][0]
    bad = rewrite_tar(
        good, tmp_path / "bad.tar", lambda name, data: None if name == first_layer else data
    )
    error = read_error(bad)
    assert type(error) is SourceError
    assert error.message == f"layer {first_layer} is missing from the archive"


def test_diff_ids_count_mismatch(tmp_path):
    good = write_docker_archive(SPEC, tmp_path / "good.tar")

    def drop_one_diff_id(name, data):
        if name.endswith(".json") and "/" not in name and name != "manifest.json":
            config = json.loads(data)
            config["rootfs"]["diff_ids"].pop()
            return json.dumps(config).encode()
        return data

    error = read_error(rewrite_tar(good, tmp_path / "bad.tar", drop_one_diff_id))
    assert type(error) is SourceError
    assert error.message == ("image config lists 2 layers (diff_ids) but the manifest has 3")


def test_corrupt_gzip_layer_in_an_archive(tmp_path):
    good = write_docker_archive(SPEC, tmp_path / "good.tar", layout="oci", compression="gzip")

    def corrupt(name, data):
        if data.startswith(b"\x1f\x8b"):
            return data[:20] + bytes(40) + data[60:]
        return data

    error = read_error(rewrite_tar(good, tmp_path / "bad.tar", corrupt))
    assert type(error) is LayerReadError
    assert "corrupt gzip layer data" in error.message


def test_corrupt_gzip_layer_in_a_layout(tmp_path):
    root = write_oci_layout(SPEC, tmp_path / "lay")
    for blob in (root / "blobs/sha256").iterdir():
        data = blob.read_bytes()
        if data.startswith(b"\x1f\x8b"):
            blob.write_bytes(data[:20] + bytes(40) + data[60:])
    error = read_error(f"oci:{root}")
    assert type(error) is LayerReadError
    assert error.message.startswith("layer 0 (blobs/sha256/")
    assert "corrupt gzip layer data" in error.message


def test_unknown_layer_media_type(tmp_path):
    from tests.hostile.corpus import redigest

    root = write_oci_layout(SPEC, tmp_path / "lay")
    for blob in list((root / "blobs/sha256").iterdir()):
        data = blob.read_bytes()
        if b'"layers":[' in data:  # a changed manifest gets its new digest, which is checked
            redigest(root, "sha256:" + blob.name,
                     data.replace(b"layer.v1.tar+gzip", b"layer.v1.tar+lz4", 1))
    error = read_error(f"oci:{root}")
    assert type(error) is SourceError
    assert error.message == (
        "unsupported layer media type 'application/vnd.oci.image.layer.v1.tar+lz4'"
    )


def test_missing_layout_directory(tmp_path):
    error = read_error(f"oci:{tmp_path}/absent")
    assert error.message == f"no such OCI layout directory: {tmp_path}/absent"


def test_directory_without_index_json(tmp_path):
    error = read_error(f"oci:{tmp_path}")
    assert error.message == f"{tmp_path} is not an OCI layout: it has no index.json"


DOCKER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def _relabel_layers(root, media_type: str) -> str:
    """Give every layer of a one-image OCI layout another media type (digests kept right);
    the name of the first layer's blob."""
    index = json.loads((root / "index.json").read_bytes())
    top = index["manifests"][0]
    old = root / "blobs" / "sha256" / top["digest"].removeprefix("sha256:")
    manifest = json.loads(old.read_bytes())
    for layer in manifest["layers"]:
        layer["mediaType"] = media_type
    data = json.dumps(manifest).encode()
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256" / digest).write_bytes(data)
    top.update(digest=f"sha256:{digest}", size=len(data))
    (root / "index.json").write_bytes(json.dumps(index).encode())
    return "blobs/sha256/" + manifest["layers"][0]["digest"].removeprefix("sha256:")


@pytest.mark.parametrize(
    ("codec", "media_type", "message"),
    [
        ("gzip", LAYER_MEDIA_TYPES["zstd"], "promises zstd, the data is gzip"),
        ("gzip", LAYER_MEDIA_TYPES["none"], "promises tar, the data is gzip"),
        ("none", LAYER_MEDIA_TYPES["gzip"], "promises gzip, the data is tar"),
        ("zstd", DOCKER_GZIP, "promises gzip, the data is zstd"),
    ],
)
def test_media_type_disagreeing_with_the_bytes_is_refused(tmp_path, codec, media_type, message):
    root = write_oci_layout(SPEC, tmp_path / "layout", compression=codec)
    blob = _relabel_layers(root, media_type)
    with pytest.raises(LayerReadError) as raised:
        open_source(f"oci:{root}").read()
    assert raised.value.message == f"layer 0 ({blob}): media type {media_type} {message}"
