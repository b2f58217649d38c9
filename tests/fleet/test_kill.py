"""A scan SIGKILLed at any moment leaves a database that is whole (checked by SQL), and the next
scan goes on from it, reading only the images not finished, to the same result as a scan never
interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.fleet.conftest import report_json, without_scan
from tests.fleet.test_cluster import same_databases
from tests.fleet.test_scan import sql
from tests.inprocess import run_main

CONSISTENT = (
    # a recorded image has its summary
    "SELECT count(*) FROM scan_images s WHERE error IS NULL AND NOT EXISTS "
    "(SELECT 1 FROM images i WHERE i.image_id = s.image_id)",
    # an image has its layers, each stored
    "SELECT count(*) FROM images i WHERE NOT EXISTS (SELECT 1 FROM image_layers l "
    "WHERE l.image_id = i.image_id)",
    "SELECT count(*) FROM image_layers l WHERE NOT EXISTS (SELECT 1 FROM layers y "
    "WHERE y.diff_id = l.diff_id)",
    # a stored layer has every entry, or none was ever asked of it
    "SELECT count(*) FROM layers y WHERE file_count <> (SELECT count(*) FROM layer_files f "
    "WHERE f.diff_id = y.diff_id)",
)


def finished_images(db) -> int:
    tables = sql(db, "SELECT count(*) FROM information_schema.tables")[0][0]
    if tables == 0:  # killed before its schema was committed (a cold start takes that long)
        return 0
    for query in CONSISTENT:
        assert sql(db, query) == [(0,)], query
    return sql(db, "SELECT count(*) FROM images")[0][0]


def written(db) -> int:
    """Bytes of the database and its write-ahead log (DuckDB writes large inserts to either)."""
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + ".wal")) if p.exists())


def wait_for_commit(db, scan, start: int) -> None:
    """Wait until this run has committed images (the files grew by 100 kB), or it ended."""
    while scan.poll() is None and written(db) < start + 100_000:
        time.sleep(0.005)


def test_sigkill_at_any_moment_then_resume(heavy_fleet, fleet, tmp_path):
    refs = (*heavy_fleet, *fleet[1])
    total = len(refs)
    reference = tmp_path / "reference.db"
    assert run_main("fleet", "scan", *refs, "--db", reference, "--jobs", "1")[0] == 0
    db = tmp_path / "killed.db"
    command = [sys.executable, "-m", "layerscope", "fleet", "scan", *refs, "--db", str(db),
               "--jobs", "1", "--no-cache"]
    partial = []
    for round_ in range(20):
        before = finished_images(db) if db.exists() else 0
        start = written(db)
        scan = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # the first kill comes before anything is written; the others once this run has
        # committed images (its write-ahead log grew), a little later each time
        if round_ == 0:
            time.sleep(0.3)
        else:
            wait_for_commit(db, scan, start)
            time.sleep(0.03 * round_)
        if scan.poll() is not None:
            out, err = scan.communicate()
            assert scan.returncode == 0, err.decode()
            # the run that finished read only what the killed ones had not
            assert f"{total - before} analysed".encode() in out, out
            break
        os.kill(scan.pid, signal.SIGKILL)
        scan.wait()
        partial.append(finished_images(db) if db.exists() else 0)
    assert any(0 < count < total for count in partial), partial
    # a kill after the scan was marked finished leaves it finished: the next run is a new scan
    [(scans, finished)] = sql(db, "SELECT count(*), count(finished_at) FROM scans")
    assert scans == finished
    same_databases(reference, db)
    assert without_scan(report_json(reference)) == without_scan(report_json(db))
