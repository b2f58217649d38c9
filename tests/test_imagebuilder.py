"""Self-tests for the image archive builder used by the reader tests."""

import gzip
import hashlib
import io
import json
import tarfile

import pytest
import zstandard

from tests.imagebuilder import (
    EMPTY_LAYER_DIFF_ID,
    ImageSpec,
    Step,
    chardev,
    directory,
    fifo,
    file,
    hardlink,
    layer_tar,
    opaque,
    symlink,
    whiteout,
    write_docker_archive,
    write_oci_archive,
    write_oci_layout,
)

BASE = Step(
    "/bin/sh -c #(nop) ADD file:abc in / ",
    (
        directory("/a"),
        file("/a/b", "hello"),
        file("a/c", b"x" * 700, mode=0o755),
        symlink("a/link", "/a/b"),
        hardlink("a/hard", "/a/b"),
        fifo("a/pipe"),
        chardev("dev/null"),
    ),
)
SPEC = ImageSpec(
    (
        BASE,
        Step("/bin/sh -c #(nop)  ENV FOO=bar", None),
        Step(
            "RUN /bin/sh -c rm -rf /a/b # buildkit",
            (whiteout("/a/b"), opaque("a")),
            comment="buildkit.dockerfile.v0",
        ),
        Step("/bin/sh -c #(nop) COPY dir:1 in /x", (file("x/same", "dup"),)),
        Step("/bin/sh -c #(nop) COPY dir:2 in /x", (file("x/same", "dup"),)),
    )
)


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def members(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: m for m in tar.getmembers()}


def read_tar(path):
    """Map of member name -> bytes (None for non-files), following symlinked members."""
    with tarfile.open(path) as tar:
        return {
            m.name: tar.extractfile(m).read() if m.isfile() or m.issym() else None
            for m in tar.getmembers()
        }


def unpack(blob, media_type):
    if media_type.endswith("+gzip"):
        return gzip.decompress(blob)
    if media_type.endswith("+zstd"):
        return zstandard.ZstdDecompressor().decompress(blob)
    return blob


def test_layer_tar_members():
    tar = layer_tar(BASE.entries)
    m = members(tar)
    assert list(m) == ["a", "a/b", "a/c", "a/link", "a/hard", "a/pipe", "dev/null"]
    assert m["a"].isdir() and m["a/b"].size == 5 and m["a/c"].mode == 0o755
    assert m["a/link"].issym() and m["a/link"].linkname == "/a/b" and m["a/link"].size == 0
    assert m["a/hard"].islnk() and m["a/hard"].linkname == "a/b"
    assert m["a/pipe"].isfifo() and (m["dev/null"].devmajor, m["dev/null"].devminor) == (1, 3)
    assert all(x.uname == "" and x.mtime == 0 for x in m.values())
    assert b"a/\x00" in tar[:100]  # directories carry the trailing slash, like docker
    wh = members(layer_tar(SPEC.steps[2].entries))
    assert list(wh) == ["a/.wh.b", "a/.wh..wh..opq"] and wh["a/.wh.b"].isfile()
    assert sha(layer_tar(())) == EMPTY_LAYER_DIFF_ID  # docker's well-known empty layer
    assert layer_tar(BASE.entries) == tar  # reproducible


def check_config(config, layers):
    assert config["rootfs"]["diff_ids"] == [sha(t) for t in layers]
    assert len(layers) == 4
    history = config["history"]
    assert [h.get("empty_layer", False) for h in history] == [False, True, False, False, False]
    assert history[2]["comment"] == "buildkit.dockerfile.v0" and "comment" not in history[0]


def test_docker_legacy(tmp_path):
    path = write_docker_archive(SPEC, tmp_path / "out" / "img.tar")
    files = read_tar(path)
    [entry] = json.loads(files["manifest.json"])
    assert entry["RepoTags"] == ["test:latest"] and entry["Config"].endswith(".json")
    config_bytes = files[entry["Config"]]
    assert entry["Config"] == sha(config_bytes)[7:] + ".json"
    layers = [files[p] for p in entry["Layers"]]
    check_config(json.loads(config_bytes), layers)
    # Identical layers: stored once, the second layer.tar is a symlink like docker writes.
    with tarfile.open(path) as tar:
        dup = tar.getmember(entry["Layers"][3])
        assert dup.issym() and dup.linkname == f"../{entry['Layers'][2]}"
    assert files[entry["Layers"][0].replace("layer.tar", "VERSION")] == b"1.0"
    repos = json.loads(files["repositories"])
    assert repos == {"test": {"latest": entry["Layers"][-1].split("/")[0]}}
    with pytest.raises(ValueError):
        write_docker_archive(SPEC, tmp_path / "x.tar", compression="gzip")


@pytest.mark.parametrize("compression", ["none", "gzip", "zstd"])
def test_docker_oci(tmp_path, compression):
    path = write_docker_archive(SPEC, tmp_path / "img.tar", layout="oci", compression=compression)
    files = read_tar(path)
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    [desc] = json.loads(files["index.json"])["manifests"]
    assert desc["annotations"] == {
        "io.containerd.image.name": "docker.io/library/test:latest",
        "org.opencontainers.image.ref.name": "latest",
    }
    manifest_bytes = files["blobs/sha256/" + desc["digest"][7:]]
    assert (sha(manifest_bytes), len(manifest_bytes)) == (desc["digest"], desc["size"])
    manifest = json.loads(manifest_bytes)
    layers = []
    for d in manifest["layers"]:
        blob = files["blobs/sha256/" + d["digest"][7:]]
        assert (sha(blob), len(blob)) == (d["digest"], d["size"])
        assert d["mediaType"].endswith(
            {"none": ".tar", "gzip": "+gzip", "zstd": "+zstd"}[compression]
        )
        layers.append(unpack(blob, d["mediaType"]))
    config = json.loads(files["blobs/sha256/" + manifest["config"]["digest"][7:]])
    check_config(config, layers)
    [entry] = json.loads(files["manifest.json"])
    assert entry["Layers"] == ["blobs/sha256/" + d["digest"][7:] for d in manifest["layers"]]
    assert entry["Layers"][2] == entry["Layers"][3]  # content addressed


def test_oci_layout_single(tmp_path):
    spec = ImageSpec(SPEC.steps, include_history=False)
    root = write_oci_layout(spec, tmp_path / "layout", compression="zstd", tag="v1")
    [desc] = json.loads((root / "index.json").read_bytes())["manifests"]
    assert desc["annotations"] == {"org.opencontainers.image.ref.name": "v1"}
    manifest = json.loads((root / "blobs/sha256" / desc["digest"][7:]).read_bytes())
    config = json.loads((root / "blobs/sha256" / manifest["config"]["digest"][7:]).read_bytes())
    assert "history" not in config
    layer = (root / "blobs/sha256" / manifest["layers"][0]["digest"][7:]).read_bytes()
    assert sha(zstandard.ZstdDecompressor().decompress(layer)) == config["rootfs"]["diff_ids"][0]


def test_oci_archive_multi_platform(tmp_path):
    arm = ImageSpec(SPEC.steps[:1], architecture="arm64", variant="v8")
    amd = ImageSpec(SPEC.steps[:1] + (Step("RUN true", ()),))
    path = write_oci_archive([amd, arm], tmp_path / "multi.tar")
    files = read_tar(path)
    [desc] = json.loads(files["index.json"])["manifests"]
    assert desc["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert desc["annotations"] == {"org.opencontainers.image.ref.name": "latest"}
    index_bytes = files["blobs/sha256/" + desc["digest"][7:]]
    assert (sha(index_bytes), len(index_bytes)) == (desc["digest"], desc["size"])
    platforms = [m["platform"] for m in json.loads(index_bytes)["manifests"]]
    assert platforms == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux", "variant": "v8"},
    ]
    blobs = [n for n, d in files.items() if n.startswith("blobs/sha256/") and d is not None]
    # 2 configs + 2 manifests + 1 index + shared base layer once + empty layer.
    assert len(blobs) == 7
    assert write_oci_archive([amd, arm], tmp_path / "again.tar").read_bytes() == path.read_bytes()
