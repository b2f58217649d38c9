"""fleet scan and report on archives written in code: figures derived from the fleet's
description (tests/fleet/conftest.py), the database checked with SQL."""

from __future__ import annotations

import duckdb

from tests.fleet.conftest import BASES, report_json, without_scan
from tests.inprocess import run_main


def sql(db, query, *parameters):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, list(parameters)).fetchall()


def test_scan_stores_each_layer_once_and_reports_exact_totals(fleet, tmp_path):
    apps, refs = fleet
    db = tmp_path / "fleet.db"
    code, out = run_main("fleet", "scan", *refs, "--db", db, "--jobs", "2")
    assert code == 0, out
    assert out.decode().startswith("scan 1: 9 images, 9 analysed, 0 unchanged, 0 failed")

    # 3 base layers + per app: its COPY layer, and apt lists + removal where it has them
    app_layers = sum(3 if app.apt_lists else 1 for app in apps)
    assert sql(db, "SELECT count(*) FROM layers") == [(3 + app_layers,)]
    assert sql(db, "SELECT count(*) FROM images") == [(9,)]
    # no entry stored twice, though every base layer is in three images
    assert sql(db, "SELECT count(*) FROM (SELECT diff_id, path FROM layer_files "
                   "GROUP BY ALL HAVING count(*) > 1)") == [(0,)]
    # the debian base layer: /bin, /etc and its three files
    assert sql(db, "SELECT count(*), sum(size) FROM layer_files WHERE diff_id = "
                   "(SELECT diff_id FROM layers WHERE size = 3210)") == [(5, 3210)]
    assert sql(db, "SELECT sum(size) FROM images") == [(sum(a.size for a in apps),)]

    totals = report_json(db)["totals"]
    used_bases = sum(base.size for base in BASES)
    assert totals == {
        "images": 9, "references": 9, "failed": 0,
        "logical_bytes": sum(app.size for app in apps),
        "unique_layer_bytes": used_bases + sum(app.size - app.base.size for app in apps),
        "wasted_bytes": 3 * 200,
        "duplicate_content_bytes": 2 * 500,
    }


def test_report_sections_from_the_description(fleet, tmp_path):
    apps, refs = fleet
    db = tmp_path / "fleet.db"
    assert run_main("fleet", "scan", *refs, "--db", db)[0] == 0
    document = report_json(db)
    assert document["schema"] == "layerscope/fleet/v1"
    assert [(b["size"], b["images"]) for b in document["bases"]] == [(3210, 3), (1100, 3), (50, 3)]
    assert document["waste_patterns"] == [
        {"pattern": "/var/lib/apt/lists/*", "images": 3, "versions": 6, "bytes": 600}]
    assert [(d["example_path"], d["size"], d["layers"], d["saving_bytes"])
            for d in document["duplicate_content"]] == [("/opt/shared.bin", 500, 3, 1000)]
    ranked = [(i["ref"].rsplit("/", 1)[-1], i["wasted_bytes"]) for i in document["images_by_wasted"]]
    assert ranked[:3] == [("app0.tar", 200), ("app3.tar", 200), ("app6.tar", 200)]
    own = [(i["ref"].rsplit("/", 1)[-1], i["own_bytes"]) for i in document["images_by_own_bytes"]]
    # app4: 240 own + 500 shared; app2: 220 + 500; app1: 210 + 500; app6: 260 + 200 apt lists
    assert own[:4] == [("app4.tar", 740), ("app2.tar", 720), ("app1.tar", 710), ("app6.tar", 460)]
    rules = {r["rule"]: (r["images"], r["saving_bytes"]) for r in document["rules"]}
    assert rules["LS001"] == (3, 600)
    assert document["growth"] == [] and document["errors"] == []


def test_unreadable_image_is_recorded_and_exit_3(fleet, tmp_path):
    _, refs = fleet
    db = tmp_path / "fleet.db"
    bad = tmp_path / "not-an-image.tar"
    bad.write_bytes(b"this is no tar archive" * 40)
    code, out = run_main("fleet", "scan", refs[0], f"docker-archive:{bad}", "--db", db)
    assert code == 3
    text = out.decode()
    assert "1 analysed, 0 unchanged, 1 failed" in text
    assert f"failed: docker-archive:{bad}: " in text
    [(ref, error)] = sql(db, "SELECT ref, error FROM scan_images WHERE error IS NOT NULL")
    assert ref == f"docker-archive:{bad}" and "\n" not in error and "not a tar archive" in error
    assert report_json(db)["totals"]["failed"] == 1


def test_repeat_scan_reads_only_changed_images_and_keeps_history(fleet, tmp_path):
    apps, refs = fleet
    directory = tmp_path / "apps"
    directory.mkdir()
    local = [app.write(directory) for app in apps[:4]]
    db = tmp_path / "fleet.db"
    assert run_main("fleet", "scan", *local, "--db", db)[0] == 0
    code, out = run_main("fleet", "scan", *local, "--db", db)
    assert out.decode().startswith("scan 2: 4 images, 0 analysed, 4 unchanged, 0 failed")
    assert report_json(db)["growth"] == []
    grown = type(apps[2])(apps[2].name, apps[2].base, own=apps[2].own + 1234)
    grown.write(directory)
    code, out = run_main("fleet", "scan", *local, "--db", db)
    assert out.decode().startswith("scan 3: 4 images, 1 analysed, 3 unchanged, 0 failed")
    assert sql(db, "SELECT scan_id, targets, analysed, reused, failed FROM scans ORDER BY 1") == [
        (1, 4, 4, 0, 0), (2, 4, 0, 4, 0), (3, 4, 1, 3, 0)]
    growth = report_json(db)["growth"]
    # app2 lost its 500 B shared file in the rewrite and gained 1234 B of its own
    assert [(g["ref"], g["previous_size"], g["size"], g["delta"]) for g in growth] == [
        (local[2], apps[2].size, apps[2].size + 1234 - 500, 1234 - 500)]
    assert sql(db, "SELECT count(*) FROM images") == [(5,)]
    earlier = report_json_of_scan(db, 1)
    assert earlier["totals"]["logical_bytes"] == sum(a.size for a in apps[:4])


def report_json_of_scan(db, scan):
    import json

    code, out = run_main("fleet", "report", "--db", db, "--format", "json", "--scan", str(scan))
    assert code == 0
    return json.loads(out)


def test_parallel_and_single_process_scans_agree(fleet, tmp_path):
    _, refs = fleet
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    assert run_main("fleet", "scan", *refs, "--db", one, "--jobs", "1", "--no-cache")[0] == 0
    assert run_main("fleet", "scan", *refs, "--db", two, "--jobs", "2")[0] == 0
    assert without_scan(report_json(one)) == without_scan(report_json(two))
    files = "SELECT diff_id, path, kind, size, content_hash FROM layer_files ORDER BY ALL"
    assert sql(one, files) == sql(two, files)


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert run_main("fleet", "scan", "--db", tmp_path / "x.db")[0] == 2
    assert "layerscope: error: no images to scan" in capsys.readouterr().err
    assert run_main("fleet", "report", "--db", tmp_path / "none.db")[0] == 2
    err = capsys.readouterr().err
    assert "layerscope: error:" in err and "Traceback" not in err
    not_db = tmp_path / "text.db"
    not_db.write_text("hello")
    assert run_main("fleet", "report", "--db", not_db)[0] == 2
    assert "Traceback" not in capsys.readouterr().err


def test_awkward_paths_are_stored_as_they_are(tmp_path):
    from tests.imagebuilder import ImageSpec, Step, directory, file, write_docker_archive

    names = ['/odd/a,b"c', "/odd/new\nline", "/odd/ünï cødé", "/odd/back\\slash"]
    spec = ImageSpec((Step("ADD odd /", (directory("/odd"), *(file(n, "x" * 3) for n in names))),),
                     repo_tag="fleettest/odd:1")
    archive = write_docker_archive(spec, tmp_path / "odd.tar")
    db = tmp_path / "fleet.db"
    assert run_main("fleet", "scan", f"docker-archive:{archive}", "--db", db)[0] == 0
    assert sql(db, "SELECT path, size FROM layer_files WHERE kind = 0 ORDER BY path") == sorted(
        (n, 3) for n in names)
