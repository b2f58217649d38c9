"""Images on the same layers with the same steps (a re-tag with a new label, a rebuild that
changed only metadata) are one analysis a scan: the client tells them apart by image ID and
together by stack key, from their metadata, and records the later ones from the first one's
summary. Each stays its own image in the database, with the figures its description gives."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

from tests.fleet.test_scan import sql
from tests.inprocess import run_main


def relabelled(archive: str, tmp_path, label: str) -> str:
    """A copy of a legacy docker-archive whose config carries one more label: a new image ID,
    the same layers and history."""
    source = archive.removeprefix("docker-archive:")
    with tarfile.open(source) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    [entry] = json.loads(members.pop("manifest.json"))
    config = json.loads(members.pop(entry["Config"]))
    config.setdefault("config", {}).setdefault("Labels", {})["fleet.label"] = label
    data = json.dumps(config).encode()
    entry["Config"] = hashlib.sha256(data).hexdigest() + ".json"
    members[entry["Config"]] = data
    members["manifest.json"] = json.dumps([entry]).encode()
    path = tmp_path / f"{label}.tar"
    with tarfile.open(path, "w") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return f"docker-archive:{path}"


def damaged(archive: str, tmp_path, label: str) -> str:
    """relabelled(), with its top layer's bytes replaced by as many that are no tar."""
    ref = relabelled(archive, tmp_path, label)
    path = ref.removeprefix("docker-archive:")
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    top = json.loads(members["manifest.json"])[0]["Layers"][-1]
    members[top] = b"\xff" * len(members[top])
    with tarfile.open(path, "w") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return ref


def counted_tasks(monkeypatch) -> list[str]:
    """The refs of the tasks an in-process (--jobs 1) scan runs, in order."""
    import layerscope.fleet.scan as scan
    import layerscope.fleet.task as task

    refs: list[str] = []
    real = task.analyse

    def counting(job):
        refs.append(job.ref)
        return real(job)

    monkeypatch.setattr(scan, "analyse", counting)
    return refs


def test_images_on_one_stack_are_analysed_once(fleet, tmp_path, monkeypatch):
    apps, refs = fleet
    app = apps[0]   # alpine + own 200 B + 2 x 100 B apt lists removed later
    copies = [relabelled(refs[0], tmp_path, f"copy{n}") for n in range(3)]
    tasks = counted_tasks(monkeypatch)
    db = tmp_path / "fleet.db"
    code, out = run_main("fleet", "scan", refs[0], *copies, refs[1], "--db", db, "--jobs", "1")
    assert code == 0, out
    assert out.decode().startswith("scan 1: 5 images, 5 analysed, 0 unchanged, 0 failed")
    assert tasks == [refs[0], refs[1]]
    rows = sql(db, "SELECT size, visible_bytes, wasted_bytes, user_size, user_wasted_bytes "
                   "FROM images WHERE image_id IN (SELECT image_id FROM scan_images "
                   "WHERE ref <> ?)", refs[1])
    assert rows == [(app.size, app.size - app.wasted, app.wasted, app.size - app.base.size,
                     app.wasted)] * 4
    assert sql(db, "SELECT count(DISTINCT image_id) FROM scan_images") == [(5,)]
    # each copy has the first one's layers, waste and findings rows under its own ID
    ids = [row[0] for row in sql(db, "SELECT image_id FROM scan_images WHERE ref <> ?", refs[1])]
    for table in ("image_layers", "image_waste", "image_findings"):
        held = [sql(db, f"SELECT * EXCLUDE (image_id) FROM {table} WHERE image_id = ? ORDER BY ALL",
                    image_id) for image_id in ids]
        assert held[0] and held == [held[0]] * 4, table


def test_a_failed_first_image_sends_the_others_on_its_stack_to_their_own_read(
        fleet, tmp_path, monkeypatch):
    apps, refs = fleet
    app = apps[0]
    broken = damaged(refs[0], tmp_path, "broken")
    good = relabelled(refs[0], tmp_path, "good")
    tasks = counted_tasks(monkeypatch)
    db = tmp_path / "fleet.db"
    code, out = run_main("fleet", "scan", broken, good, "--db", db, "--jobs", "1", "--no-cache")
    assert code == 3, out
    assert "1 analysed, 0 unchanged, 1 failed" in out.decode()
    assert tasks == [broken, good]
    assert sql(db, "SELECT ref FROM scan_images WHERE error IS NOT NULL") == [(broken,)]
    assert sql(db, "SELECT size, wasted_bytes FROM images") == [(app.size, app.wasted)]


def test_describe_reads_metadata_only_and_keys_as_the_full_read(fleet, tmp_path):
    from layerscope.fleet.describe import describe
    from layerscope.fleet.jobs import stack_key
    from layerscope.sources.reference import open_source

    _, refs = fleet
    broken = damaged(refs[0], tmp_path, "broken")
    image_id, key = describe(broken, None, None)
    # its top layer is no tar: a key found anyway means no layer was read
    assert key == stack_key(open_source(refs[0]).read()) and key is not None
    assert image_id != open_source(refs[0]).identity()
    assert describe(refs[1], None, None)[1] not in (None, key)
    assert describe(f"docker-archive:{tmp_path}/absent.tar", None, None) == (None, None)
