"""Real engine images: --all-local lists what `docker images` lists, and engine references scan
to the sizes the engine reports (docker image inspect's .Size)."""

from __future__ import annotations

import subprocess

import docker
import pytest

from layerscope.fleet.targets import all_local
from tests.fleet.conftest import BASES
from tests.fleet.fleetgen import App
from tests.fleet.test_scan import sql
from tests.inprocess import run_main

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def engine_apps(tmp_path_factory):
    """Two images loaded into the engine (tags fleet/fleettest-*), removed afterwards."""
    directory = tmp_path_factory.mktemp("engine-fleet")
    apps = (App("fleettest-e0", BASES[0], own=321, apt_lists=64),
            App("fleettest-e1", BASES[0], own=123, shared_blob=77))
    client = docker.from_env()
    for app in apps:
        path = app.write(directory).split(":", 1)[1]
        with open(path, "rb") as handle:
            client.images.load(handle.read())
    yield apps
    for app in apps:
        client.images.remove(app.tag, force=True)
    client.close()


def test_all_local_lists_the_engine_images(engine_apps):
    listed = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"],
                            capture_output=True, text=True, check=True).stdout.split("\n")
    expected = {line.split()[0] for line in listed if line and not line.startswith("<none>")}
    untagged = {line.split()[1] for line in listed if line.startswith("<none>:<none>")}
    refs = all_local()
    assert {app.tag for app in engine_apps} <= set(refs)
    # other sessions' tests tag and remove images meanwhile: compare the stable ones
    stable = ("size:", "layerscope/", "fleet/fleettest-")
    assert {r for r in refs if r.startswith(stable)} == {r for r in expected if r.startswith(stable)}
    assert all(r.startswith("sha256:") or ":" in r for r in refs)
    assert untagged == set() or {r.split(":")[1][:12] for r in refs if r.startswith("sha256:")} & untagged


def test_engine_images_scan_to_the_engine_sizes(engine_apps, tmp_path):
    db = tmp_path / "engine.db"
    refs = [app.tag for app in engine_apps]
    assert run_main("fleet", "scan", *refs, "--db", db)[0] == 0
    client = docker.from_env()
    engine = {client.images.get(ref).id: client.images.get(ref).attrs["Size"] for ref in refs}
    client.close()
    assert dict(sql(db, "SELECT image_id, size FROM images")) == engine
    assert sorted(engine.values()) == sorted(app.size for app in engine_apps)
    # the shared base layer once: 1100 B of base + each image's own bytes
    assert sql(db, "SELECT sum(size) FROM layers") == [(1100 + 321 + 2 * 64 + 123 + 77,)]
