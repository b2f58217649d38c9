"""--platform against an image that has one platform: an archive or a layout whose config says
another platform is an error naming both (exit 2), as the engine's images are
(tests/integration/test_engine_source.py); a multi-platform index selects by it."""

from __future__ import annotations

import json

import pytest

from layerscope.errors import SourceError
from layerscope.sources.platforms import check_image_platform
from layerscope.sources.reference import open_source
from tests.hostile import tarbytes as tb
from tests.integration.conftest import run_layerscope

LAYER = tb.layer(tb.member("etc/hostname", b"box\n"))


def archive(tmp_path, **platform) -> str:
    config = tb.config_for([LAYER], **platform)
    return tb.write(tmp_path / "image.tar", tb.docker_archive([LAYER], config=config))


def layout(tmp_path, images: list[tuple[dict | None, dict]]) -> str:
    """An OCI layout whose index lists one manifest per (descriptor platform, config platform)."""
    blobs = tmp_path / "layout" / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes, media_type: str, **extra) -> dict:
        (blobs / tb.sha(data).removeprefix("sha256:")).write_bytes(data)
        return {"mediaType": media_type, "digest": tb.sha(data), "size": len(data), **extra}

    layer = put(LAYER, "application/vnd.oci.image.layer.v1.tar")
    manifests = []
    for listed, own in images:
        config = put(json.dumps(tb.config_for([LAYER], **own)).encode(),
                     "application/vnd.oci.image.config.v1+json")
        manifest = json.dumps({"schemaVersion": 2, "config": config, "layers": [layer]}).encode()
        extra = {"platform": listed} if listed is not None else {}
        manifests.append(put(manifest, "application/vnd.oci.image.manifest.v1+json", **extra))
    root = tmp_path / "layout"
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": manifests}))
    return f"oci:{root}"


AMD64 = {"os": "linux", "architecture": "amd64"}
ARM64 = {"os": "linux", "architecture": "arm64"}


def test_a_single_platform_archive_of_another_platform_is_an_error_naming_both(tmp_path):
    path = archive(tmp_path, **AMD64)
    result = run_layerscope("inspect", path, "--platform", "linux/arm64")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"layerscope: error: {path} is an image for linux/amd64, not linux/arm64 (--platform)",
        "hint: this image holds linux/amd64 only; read linux/arm64 from a registry (docker://...) "
        "or from an OCI layout that holds it"]


@pytest.mark.parametrize("wanted", [None, "linux/amd64", "linux", "linux/amd64/v2"])
def test_the_archives_own_platform_or_a_part_it_does_not_state_is_read(tmp_path, wanted):
    """amd64 with no variant in the config: a variant asked for is not contradicted."""
    image = open_source(archive(tmp_path, **AMD64), wanted).read()
    assert (image.os, image.architecture) == ("linux", "amd64")


def test_a_config_that_states_no_platform_is_read_whatever_is_asked(tmp_path):
    image = open_source(archive(tmp_path, architecture="", os=""), "linux/arm64").read()
    assert (image.os, image.architecture) == ("", "")


def test_a_layout_with_one_image_of_another_platform_is_an_error(tmp_path):
    reference = layout(tmp_path, [(None, ARM64)])
    with pytest.raises(SourceError, match=r"is an image for linux/arm64, not linux/amd64 \(--platform\)"):
        open_source(reference, "linux/amd64").read()
    assert open_source(reference, "linux/arm64").read().architecture == "arm64"


def test_a_multi_platform_index_selects_and_the_config_must_agree(tmp_path):
    reference = layout(tmp_path, [(AMD64, AMD64), (ARM64, ARM64)])
    for wanted in ("linux/amd64", "linux/arm64"):
        assert open_source(reference, wanted).read().architecture == wanted.split("/")[1]
    lying = layout(tmp_path / "lying", [(ARM64, AMD64), (AMD64, ARM64)])  # index and configs disagree
    with pytest.raises(SourceError, match="is an image for linux/amd64, not linux/arm64"):
        open_source(lying, "linux/arm64").read()


def test_identity_checks_the_platform_before_any_replay_or_memo_could_answer(tmp_path):
    with pytest.raises(SourceError, match="not linux/arm64"):
        open_source(archive(tmp_path, **AMD64), "linux/arm64").identity()


@pytest.mark.parametrize(("wanted", "platform", "refused"), [
    ("linux/arm64", {"os": "linux", "architecture": "amd64"}, True),
    ("windows/amd64", {"os": "linux", "architecture": "amd64"}, True),
    ("linux/arm/v7", {"os": "linux", "architecture": "arm", "variant": "v6"}, True),
    ("linux/arm/v7", {"os": "linux", "architecture": "arm", "variant": "v7"}, False),
    ("linux/arm64/v8", {"os": "linux", "architecture": "arm64"}, False),
    ("linux/arm64", {}, False),
    (None, {"os": "linux", "architecture": "s390x"}, False),
])
def test_which_platforms_contradict_the_request(wanted, platform, refused):
    if refused:
        with pytest.raises(SourceError):
            check_image_platform(wanted, platform, "x")
    else:
        check_image_platform(wanted, platform, "x")
