"""--registry on a real registry (Debian's docker-registry on loopback, images pushed with
skopeo from the fleet's archives): the catalog under a prefix, tags filtered by a glob."""

from __future__ import annotations

import subprocess

from tests.fleet.test_scan import sql
from tests.inprocess import run_main
from tests.integration.registries import Registry, need


def copy(archive_ref: str, registry: Registry, name: str) -> None:
    need("skopeo")
    done = subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false", archive_ref,
                           f"docker://{registry.host}/{name}"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_registry_catalog_under_prefix_with_tag_glob(fleet, tmp_path):
    apps, refs = fleet
    registry = Registry(tmp_path / "registry")
    try:
        copy(refs[0], registry, "team/app0:1.0")
        copy(refs[0], registry, "team/app0:dev")
        copy(refs[1], registry, "team/app1:1.1")
        copy(refs[2], registry, "other/app2:1.0")
        db = tmp_path / "fleet.db"
        code, out = run_main("fleet", "scan", "--registry", f"docker://{registry.host}/team",
                             "--tags", "1.*", "--db", db)
        assert code == 0, out
        assert sorted(sql(db, "SELECT ref FROM scan_images")) == [
            (f"docker://{registry.host}/team/app0:1.0",), (f"docker://{registry.host}/team/app1:1.1",)]
        assert sorted(r[0] for r in sql(db, "SELECT size FROM images")) == sorted(
            (apps[0].size, apps[1].size))
    finally:
        registry.stop()
