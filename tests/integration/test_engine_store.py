"""The engine's layer store read directly (issue 14): the same report as the export, byte for
byte, for every sample image; the same layer indexes; docker history's sizes; and the export
whenever the store cannot serve an image, with --debug saying why.

The engine make test starts is Debian's docker.io with the overlay2 driver, and the tests run
as root, so the store is readable here; the fallbacks are made by changing what the inspect
record says or by making a layer vanish mid-read.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from layerscope.analysis.merge import merge_layers
from layerscope.analysis.packages import PACKAGE_DATABASES
from layerscope.analysis.streamed_merge import StreamedMerge
from layerscope.errors import LayerReadError
from layerscope.layers.limits import ReadOptions
from layerscope.sources import overlay_layers
from layerscope.sources.engine import EngineSource
from layerscope.sources.engine_store import StoreUnreadable, chain_ids, locate
from layerscope.sources.manifests import Selection
from tests.integration.conftest import run_layerscope
from tests.integration.test_read_paths import SAMPLES

pytestmark = pytest.mark.engine
EXPORT_NOTE = "reading the engine's export"


def read(name: str, **options) -> tuple:
    """(the image, the --debug lines) of one read of an engine image."""
    notes: list[str] = []
    image = EngineSource(name, Selection(name)).read(None, None, ReadOptions(
        capture=PACKAGE_DATABASES, debug=notes.append, **options))
    return image, notes


@pytest.mark.parametrize("name", SAMPLES)
def test_the_store_gives_the_exports_report_byte_for_byte(client, name):
    store = run_layerscope("inspect", name, "--no-cache", "--format", "json", "--debug")
    export = run_layerscope("inspect", name, "--no-cache", "--format", "json", "--export",
                            "--debug")
    assert store.returncode == export.returncode == 0, store.stderr + export.stderr
    assert EXPORT_NOTE not in store.stderr  # it was the store that served it
    assert "--export asks for it" in export.stderr
    assert store.stdout == export.stdout


@pytest.mark.parametrize("name", SAMPLES)
def test_every_layer_index_is_the_exports(client, name):
    from_store, notes = read(name)  # every file hashed, as when the cache keeps the indexes
    from_export, _ = read(name, export=True)
    assert notes == []
    assert from_store.image_id == from_export.image_id
    assert from_store.repo_tags == from_export.repo_tags
    assert from_store.history == from_export.history
    for ours, theirs in zip(from_store.layers, from_export.layers, strict=True):
        assert ours.diff_id == theirs.diff_id
        assert ours.files == theirs.files  # kinds, sizes, modes, owners, links, hashes, order
        assert ours.size == theirs.size
        assert ours.captured == theirs.captured


@pytest.mark.parametrize("name", SAMPLES)
def test_step_sizes_are_docker_historys(client, name):
    result = run_layerscope("inspect", name, "--no-cache", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    history = list(reversed(client.api.history(name)))  # the API lists newest first
    assert [step["size"] for step in report["steps"]] == [entry["Size"] for entry in history]
    assert report["image"]["size"] == client.api.inspect_image(name)["Size"]


def test_chain_ids_follow_the_oci_spec():
    # chain(L0) = diff(L0); chain(Ln) = sha256 of "chain(Ln-1) diff(Ln)", hex, as text
    import hashlib

    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    expected = "sha256:" + hashlib.sha256(f"{a} {b}".encode()).hexdigest()
    assert chain_ids([a, b]) == [a, expected]


def test_the_export_serves_what_the_store_cannot(client, monkeypatch):
    record = client.api.inspect_image("size:latest")
    options = ReadOptions()
    other = {**record, "GraphDriver": {"Name": "btrfs", "Data": None}}
    with pytest.raises(StoreUnreadable, match="btrfs graph driver, not overlay2"):
        locate(other, options)
    moved = {**record, "GraphDriver": {"Name": "overlay2", "Data": {
        "UpperDir": "/nonexistent/overlay2/x/diff"}}}
    with pytest.raises(StoreUnreadable, match="cannot be read from here"):
        locate(moved, options)
    with pytest.raises(StoreUnreadable, match="--verify"):
        locate(record, ReadOptions(verify=True))
    monkeypatch.setenv("DOCKER_HOST", "tcp://192.0.2.1:2375")
    with pytest.raises(StoreUnreadable, match="on another machine"):
        locate(record, options)


def test_a_layer_removed_while_read_sends_the_image_through_the_export(client, monkeypatch):
    def vanished(layers, **_):
        raise LayerReadError(f"cannot read the layer directory {layers[0][0]}: "
                             "No such file or directory")

    monkeypatch.setattr(overlay_layers, "index_directories", vanished)
    image, notes = read("size:latest")
    reference, _ = read("size:latest", export=True)
    assert [note.split(": ", 1)[0] for note in notes] == ["size:latest"]
    assert "No such file or directory" in notes[0] and EXPORT_NOTE in notes[0]
    assert image.layers == reference.layers


def test_debug_says_why_the_export_was_read(client):
    result = run_layerscope("inspect", "size:latest", "--no-cache", "--verify", "--debug",
                            "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "layerscope: debug: size:latest: reading the engine's export instead of its layer " \
           "store: --verify checks each layer tar's sha256" in result.stderr
    quiet = run_layerscope("inspect", "size:latest", "--no-cache", "--verify", "--format", "json")
    assert quiet.stderr == ""


def test_the_record_asked_over_the_socket_is_the_sdks(client, monkeypatch):
    from layerscope.sources.engine_inspect import inspect_directly

    assert inspect_directly("size:latest") == client.api.inspect_image("size:latest")
    assert inspect_directly("layerscope-no-such-image:never") is None  # the SDK says why
    monkeypatch.setenv("DOCKER_HOST", "tcp://192.0.2.1:2375")
    assert inspect_directly("size:latest") is None  # not a local socket: the SDK's business


def test_a_store_read_never_imports_the_docker_sdk(client):
    # the SDK's import and ping were a third of a store read of size:v1 (engine_inspect)
    code = ("import sys; from layerscope.__main__ import main; "
            "code = main(['inspect', 'size:latest', '--no-cache', '-q', '--format', 'json']); "
            "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('docker', 'requests', 'urllib3'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "[]"
    assert json.loads(result.stdout)["image"]["id"] == client.api.inspect_image("size:latest")["Id"]


@pytest.mark.parametrize("name", SAMPLES)
def test_the_merge_made_while_the_store_is_read_is_the_finished_images(client, name):
    # what inspect --no-cache reads: only the compared files hashed, each layer stacked as the
    # reader hands it over (analysis.streamed_merge)
    merging = StreamedMerge()
    image, notes = read(name, hash_every_file=False, layer_sink=merging)
    streamed = merging.result(image)
    assert notes == [] and streamed is not None  # the store served it, the merge is used
    afterwards = merge_layers([layer.files for layer in image.layers])
    assert streamed.dead == afterwards.dead
    assert streamed.flows == afterwards.flows
    assert (streamed.visible_bytes, streamed.wasted_bytes) == (
        afterwards.visible_bytes, afterwards.wasted_bytes)
    assert streamed.whiteout_lower_sizes == afterwards.whiteout_lower_sizes
    assert streamed.anomalies == afterwards.anomalies
    assert streamed.visible_bytes + streamed.wasted_bytes == image.size


def test_a_store_read_that_gives_way_part_way_leaves_its_merge_unused(client, monkeypatch):
    # layers handed over, then a file changes under the reader: the export serves the image,
    # and the layers stacked so far must not pass for its merge
    real = overlay_layers.index_directories

    def changed_midway(layers, *, ready, **options):
        def handed(position, blob):
            if handed.count == 2:
                raise LayerReadError("/x changed while the layer was read")
            handed.count += 1
            ready(position, blob)
        handed.count = 0
        return real(layers, ready=handed, **options)

    class Counted(StreamedMerge):
        taken = 0

        def take(self, *arguments):
            Counted.taken += 1
            super().take(*arguments)

    monkeypatch.setattr(overlay_layers, "index_directories", changed_midway)
    merging = Counted()
    image, notes = read("size:v1", hash_every_file=False, layer_sink=merging)
    assert len(notes) == 1 and EXPORT_NOTE in notes[0] and "changed" in notes[0]
    assert Counted.taken >= 1  # some layers were stacked before the reader gave way
    assert merging.result(image) is None
