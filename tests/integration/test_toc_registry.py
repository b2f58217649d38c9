"""docker:// images whose layers have a table of contents, on a real registry (Debian's
docker-registry, tests/integration/registries.py): zstd:chunked pushed by skopeo from the
engine, eStargz pushed by skopeo from a layout tests/tocformats.py wrote. Each layer is indexed
from its TOC by Range requests (said under --debug), the report is the one of the same image
read whole, a story image costs at most 5% of its compressed bytes; a registry that ignores
Range, a TOC that fails its digest, and TOC layers over layers cached from tars give the same
report too."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.inprocess import run_main
from tests.integration.registries import Registry, need
from tests.integration.registry_faults import FaultProxy
from tests.tocformats import blob_path, estargz_layout, layout_layers

pytestmark = pytest.mark.engine

CHUNKED = ("chmod:latest", "size:v4")
ESTARGZ = ("chmod:latest", "overwrite:latest")


def skopeo(*args: str) -> None:
    done = subprocess.run(["skopeo", "copy", "-q", "--src-daemon-host", os.environ["DOCKER_HOST"],
                           "--dest-tls-verify=false", *args], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def served(client, tmp_path_factory):
    """(registry, {name: the OCI layout the same image is read whole from})."""
    need("skopeo")
    root = tmp_path_factory.mktemp("toc-registry")
    registry = Registry(root / "registry")
    layouts = {}
    try:
        for image in sorted(set(CHUNKED) | set(ESTARGZ)):
            name = image.replace(":", "-")
            layout = root / f"{name}-zstd-chunked"
            skopeo("--dest-compress-format", "zstd:chunked", f"docker-daemon:{image}",
                   f"oci:{layout}:latest")
            if image in CHUNKED:
                skopeo(f"oci:{layout}:latest", f"docker://{registry.host}/chunked/{image}")
                layouts[f"chunked/{image}"] = layout
            if image in ESTARGZ:
                stargz = estargz_layout(layout, root / f"{name}-estargz")
                skopeo(f"oci:{stargz}:latest", f"docker://{registry.host}/estargz/{image}")
                layouts[f"estargz/{image}"] = stargz
        yield registry, layouts
    finally:
        registry.stop()


def without_source(report: bytes) -> dict:
    document = json.loads(report)
    del document["image"]["ref"], document["image"]["repo_tags"]
    return document


def whole(layout: Path, monkeypatch, tmp_path) -> dict:
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "whole-cache"))
    code, report = run_main("inspect", f"oci:{layout}", "--format", "json")
    assert code == 0
    return without_source(report)


def fetched(path: Path) -> int:
    lines = path.read_text().split() if path.exists() else []
    path.unlink(missing_ok=True)
    return sum(map(int, lines[1::2]))


@pytest.mark.parametrize("name", [f"chunked/{i}" for i in CHUNKED] + [f"estargz/{i}" for i in ESTARGZ])
def test_toc_layers_give_the_whole_layers_report(served, name, tmp_path, monkeypatch, capsys):
    registry, layouts = served
    expected = whole(layouts[name], monkeypatch, tmp_path)
    stats = tmp_path / "fetched"
    monkeypatch.setenv("LAYERSCOPE_REGISTRY_STATS", str(stats))
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    capsys.readouterr()
    code, report = run_main("inspect", registry.ref(name), "--format", "json", "--debug")
    assert code == 0
    assert without_source(report) == expected
    layers = layout_layers(layouts[name])[2]
    form = "zstd:chunked" if name.startswith("chunked/") else "eStargz"
    said = capsys.readouterr().err
    assert said.count(f"indexed from its {form} TOC") == len(layers), said
    if name.endswith("size:v4"):
        assert fetched(stats) <= 0.05 * sum(layer["size"] for layer in layers)
    # the repeat is served from the cache: the manifest and config only
    fetched(stats)
    assert run_main("inspect", registry.ref(name), "--format", "json")[1] == report
    documents = len(json.dumps(layout_layers(layouts[name])[1]))  # a bound, not the figure
    assert fetched(stats) < documents + 4096


class IgnoresRange(FaultProxy):
    """A registry that answers every Range request with the whole blob (as some do)."""

    def handle(self, request):
        del request.headers["Range"]
        return super().handle(request)


def test_a_registry_that_ignores_range_is_read_whole_and_said_so(served, tmp_path, monkeypatch,
                                                                capsys):
    registry, layouts = served
    expected = whole(layouts["chunked/chmod:latest"], monkeypatch, tmp_path)
    proxy = IgnoresRange(registry.host, "none", "-")
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    capsys.readouterr()
    try:
        code, report = run_main("inspect", f"docker://{proxy.host}/chunked/chmod:latest",
                                "--format", "json", "--debug")
    finally:
        proxy.stop()
    assert code == 0
    assert without_source(report) == expected
    said = capsys.readouterr().err
    assert said.count("read whole, its TOC cannot be used: registry") == 5, said
    assert "ignores Range requests" in said


def test_a_toc_failing_its_digest_is_read_whole_and_said_so(served, tmp_path, monkeypatch, capsys):
    registry, layouts = served
    layout = layouts["estargz/chmod:latest"]
    index, manifest, layers = layout_layers(layout)
    layers[-1]["annotations"]["containerd.io/snapshot/stargz/toc.digest"] = "sha256:" + "0" * 64
    data = json.dumps(manifest).encode()
    import hashlib

    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blob_path(layout, digest).write_bytes(data)
    original = (layout / "index.json").read_text()
    (layout / "index.json").write_text(json.dumps(dict(index, manifests=[
        dict(index["manifests"][0], digest=digest, size=len(data))])))
    try:
        skopeo(f"oci:{layout}:latest", f"docker://{registry.host}/forged/chmod:latest")
    finally:
        (layout / "index.json").write_text(original)
    expected = whole(layout, monkeypatch, tmp_path)
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    capsys.readouterr()
    code, report = run_main("inspect", registry.ref("forged/chmod:latest"), "--format", "json",
                            "--debug")
    assert code == 0
    assert without_source(report) == expected
    said = capsys.readouterr().err
    assert f"layer {layers[-1]['digest']}: read whole, its TOC cannot be used: the eStargz TOC " \
           "does not match its toc.digest annotation" in said


def test_toc_layers_over_layers_cached_from_tars(served, tmp_path, monkeypatch, capsys):
    """The layer that writes model.bin cached from a whole read, the chmod layer over it read
    from its TOC: the one file the two compare is fetched and hashed the tar way."""
    registry, layouts = served
    expected = whole(layouts["chunked/chmod:latest"], monkeypatch, tmp_path)
    cache = tmp_path / "cache"
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(cache))
    assert run_main("inspect", registry.ref("chunked/chmod:latest"), "--verify", "-q")[0] == 0
    config = json.loads(blob_path(layouts["chunked/chmod:latest"], layout_layers(
        layouts["chunked/chmod:latest"])[1]["config"]["digest"]).read_bytes())
    chmod_layer = config["rootfs"]["diff_ids"][2]
    for entry in cache.glob("*/*"):
        if entry.parent.name.startswith("reports") or entry.name == chmod_layer.replace(":", "-"):
            entry.unlink()
    capsys.readouterr()
    code, report = run_main("inspect", registry.ref("chunked/chmod:latest"), "--format", "json",
                            "--debug")
    assert code == 0
    assert without_source(report) == expected
    said = capsys.readouterr().err
    assert "1 files hashed from their bytes, to compare with versions read from a tar" in said, said


def test_diff_with_an_image_read_from_tars_compares_contents(served, tmp_path, monkeypatch,
                                                             capsys):
    """The base busybox, known by its TOC digest on one side and by the tar reader's hash on the
    other, is the same file: diff fetches it and says so."""
    registry, _ = served
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "engine-cache"))
    code, engine = run_main("diff", "chmod:latest", "overwrite:latest", "--format", "json")
    assert code == 0
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    capsys.readouterr()
    code, mixed = run_main("diff", registry.ref("chunked/chmod:latest"), "overwrite:latest",
                           "--format", "json", "--debug")
    assert code == 0
    assert json.loads(mixed)["files"] == json.loads(engine)["files"]
    assert "/bin/busybox" not in {change["path"] for change in json.loads(mixed)["files"]}
    assert "1 files hashed from their bytes" in capsys.readouterr().err
