"""The engine source against a real Docker engine: exact sizes, same answer as `docker save`."""

from __future__ import annotations

import json
import os

import docker
import pytest

from tests.integration.conftest import run_layerscope as layerscope

pytestmark = pytest.mark.engine

IMAGE = "size:latest"  # sample_images/size, built by `make samples`




def inspect_json(reference: str) -> dict:
    result = layerscope("inspect", reference, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_sizes_equal_dockers_to_the_byte(client):
    report = inspect_json(IMAGE)
    assert report["image"]["size"] == client.api.inspect_image(IMAGE)["Size"]
    docker_history = list(reversed(client.api.history(IMAGE)))  # the API lists newest first
    assert len(docker_history) == len(report["steps"])
    assert [step["size"] for step in report["steps"]] == [entry["Size"] for entry in docker_history]
    image = report["image"]
    assert image["size"] == image["visible_bytes"] + image["wasted_bytes"]


def test_the_deleted_directory_is_dead_with_its_writer_and_killer(client):
    report = inspect_json(IMAGE)
    steps = report["steps"]
    requirements = [w for w in report["wasted"] if w["path"].startswith("/tmp/my_requirements/")]
    assert requirements, "the copied requirements directory must show up as wasted"
    assert {w["kind"] for w in requirements} == {"removed"}
    writers = {steps[w["written_by_step"]]["instruction"].split()[0] for w in requirements}
    killers = {steps[w["killed_by_step"]]["instruction"] for w in requirements}
    assert writers == {"COPY"}
    assert len(killers) == 1 and "rm -rf /tmp/my_requirements" in killers.pop()


def test_engine_and_saved_archive_give_identical_reports(client, tmp_path):
    archive = tmp_path / "size.tar"
    with open(archive, "wb") as handle:
        for chunk in client.api.get_image(IMAGE):
            handle.write(chunk)
    from_engine = inspect_json(IMAGE)
    from_archive = inspect_json(f"docker-archive:{archive}")
    for report in (from_engine, from_archive):
        report["image"].pop("ref")
        for layer in report["layers"]:
            layer.pop("compressed_size")
    assert from_engine == from_archive


def test_missing_image_is_one_clear_error_and_nothing_is_pulled(client):
    result = layerscope("inspect", "layerscope-test/never-built:nope")
    assert result.returncode == 2
    assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith("layerscope: error: image layerscope-test/never-built:nope is not in")
    assert "Traceback" not in result.stderr
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("layerscope-test/never-built:nope")


def test_unreachable_engine_names_the_host_it_tried(tmp_path):
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/no-such.sock")
    result = layerscope("inspect", IMAGE, env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"layerscope: error: cannot reach the Docker engine at unix://{tmp_path}/no-such.sock")
    assert "Traceback" not in result.stderr


def test_base_given_by_reference_is_the_common_layer_prefix(client):
    report = inspect_json_with("--base", "layerscope/busybox:base")
    base_layers = len(client.api.inspect_image("layerscope/busybox:base")["RootFS"]["Layers"])
    assert report["base"]["layer_count"] == base_layers
    assert report["base"]["method"] == "base-image"
    assert report["image"]["user_size"] == sum(
        s["size"] for s in report["steps"] if not s["base"])


def inspect_json_with(*extra: str) -> dict:
    result = layerscope("inspect", IMAGE, "--format", "json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_platform_other_than_the_engine_images_is_an_error_naming_both(client):
    """An engine image has one platform (docker image inspect's Os/Architecture): --platform can
    confirm it, never choose another; a mismatch was ignored (the report said linux/amd64)."""
    record = client.api.inspect_image(IMAGE)
    own = f"{record['Os']}/{record['Architecture']}"
    other = "linux/s390x" if record["Architecture"] != "s390x" else "linux/amd64"
    result = layerscope("inspect", IMAGE, "--platform", other)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"layerscope: error: {IMAGE} is an image for {own}, not {other} (--platform)",
        f"hint: this image holds {own} only; read {other} from a registry (docker://...) or "
        "from an OCI layout that holds it"]
    diff = layerscope("diff", IMAGE, IMAGE, "--platform", other)
    assert diff.returncode == 2
    assert diff.stderr.startswith(f"layerscope: error: IMAGE_A ({IMAGE}): {IMAGE} is an image for")
    report = inspect_json_with("--platform", own)
    assert report["image"]["platform"] == own


def test_the_engine_loads_a_layer_without_its_final_padding_and_layerscope_reads_it(client, tmp_path):
    """Docker (Go's archive/tar) loads a layer that ends inside its last padding; layerscope
    reads the image with the figures every other read path gives (tests/layers/test_tar_endings:
    /a, 100 bytes, overwritten by 70,001). The engine cannot export such an image: its tar-split
    rebuilds the layer with the padding and the digest no longer matches, so --export fails in
    the engine, one line, exit 2."""
    from tests.hostile import tarbytes as tb
    from tests.layers.test_tar_endings import FIGURES, LOWER, UPPER

    tag = "layerscope-test/no-final-padding:1"
    manifest = [{"Config": "config.json", "RepoTags": [tag],
                 "Layers": ["layer0/layer.tar", "layer1/layer.tar"]}]
    client.images.load(tb.docker_archive([LOWER, UPPER], manifest=manifest))
    try:
        image = inspect_json_with_ref(tag, "--no-cache")["image"]
        assert (image["size"], image["visible_bytes"], image["wasted_bytes"]) == FIGURES
        exported = layerscope("inspect", tag, "--export", "--no-cache")
        assert exported.returncode == 2
        assert exported.stderr.startswith(f"layerscope: error: the engine failed while exporting {tag}")
        assert "Traceback" not in exported.stderr
    finally:
        client.images.remove(tag, force=True)


def inspect_json_with_ref(reference: str, *extra: str) -> dict:
    result = layerscope("inspect", reference, "--format", "json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
