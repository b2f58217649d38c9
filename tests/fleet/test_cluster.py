"""--cluster on a real dask.distributed cluster (a scheduler and two worker processes on
loopback): the same database and report as the in-process scan, also when a worker is killed
while it runs a task."""

from __future__ import annotations

import subprocess
import sys

from tests.fleet.cluster import cluster, kill_busy_worker
from tests.fleet.conftest import report_json, without_scan
from tests.fleet.test_scan import sql
from tests.inprocess import run_main

TABLES = ("SELECT * EXCLUDE (analysed_at) FROM images ORDER BY ALL",
          "SELECT * FROM image_layers ORDER BY ALL",
          "SELECT * FROM layers ORDER BY ALL",
          "SELECT * FROM layer_files ORDER BY ALL",
          "SELECT * FROM image_waste ORDER BY ALL",
          "SELECT * FROM image_findings ORDER BY ALL",
          "SELECT ref, image_id, error FROM scan_images "
          "WHERE scan_id = (SELECT max(scan_id) FROM scans) ORDER BY ALL")


def same_databases(one, two) -> None:
    for query in TABLES:
        assert sql(one, query) == sql(two, query), query


def test_cluster_scan_equals_in_process_scan(fleet, tmp_path):
    _, refs = fleet
    local, remote = tmp_path / "local.db", tmp_path / "cluster.db"
    assert run_main("fleet", "scan", *refs, "--db", local, "--jobs", "1")[0] == 0
    with cluster(2, tmp_path) as dask:
        code, out = run_main("fleet", "scan", *refs, "--db", remote, "--cluster", dask.address,
                             "--no-cache")
    assert code == 0, out
    same_databases(local, remote)
    assert without_scan(report_json(local)) == without_scan(report_json(remote))


def test_worker_killed_mid_task_gives_identical_results(heavy_fleet, tmp_path):
    local, remote = tmp_path / "local.db", tmp_path / "cluster.db"
    assert run_main("fleet", "scan", *heavy_fleet, "--db", local, "--jobs", "1")[0] == 0
    with cluster(2, tmp_path) as dask:
        scan = subprocess.Popen([sys.executable, "-m", "layerscope", "fleet", "scan", *heavy_fleet,
                                 "--db", str(remote), "--cluster", dask.address, "--no-cache"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        pid = kill_busy_worker(dask.address)
        out, err = scan.communicate(timeout=120)
        assert [w.poll() for w in dask.workers if w.pid == pid] == [-9]
    assert scan.returncode == 0, err.decode()
    assert b"8 analysed" in out
    same_databases(local, remote)
    assert without_scan(report_json(local)) == without_scan(report_json(remote))


def test_unreachable_scheduler_is_one_line_and_exit_2(fleet, tmp_path, monkeypatch, capsys):
    from layerscope.fleet import executors
    from tests.fleet.cluster import free_port

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 1)   # nothing listens: fail fast
    address = f"tcp://127.0.0.1:{free_port()}"
    _, refs = fleet
    code, _ = run_main("fleet", "scan", refs[0], "--db", tmp_path / "fleet.db", "--cluster", address)
    assert code == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(f"layerscope: error: cannot reach the Dask scheduler at {address}: ")
    assert lines[1].startswith("hint: start one with `dask scheduler`") and len(lines) == 2
