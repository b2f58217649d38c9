"""The fleet database: one DuckDB file, its schema (docs/fleet.md), one transaction per image so
a scan killed at any moment leaves every finished image in it and nothing half-written."""

from __future__ import annotations

from . import FleetError

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS scans (
  scan_id INTEGER PRIMARY KEY, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
  targets INTEGER NOT NULL, analysed INTEGER, reused INTEGER, failed INTEGER);
CREATE TABLE IF NOT EXISTS scan_images (
  scan_id INTEGER NOT NULL, ref VARCHAR NOT NULL, image_id VARCHAR, error VARCHAR,
  PRIMARY KEY (scan_id, ref));
CREATE TABLE IF NOT EXISTS images (
  image_id VARCHAR PRIMARY KEY, platform VARCHAR, size UBIGINT, visible_bytes UBIGINT,
  wasted_bytes UBIGINT, user_size UBIGINT, user_wasted_bytes UBIGINT, efficiency DOUBLE,
  base_layers INTEGER, base_id VARCHAR, base_detail VARCHAR, analysed_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS image_layers (
  image_id VARCHAR NOT NULL, position INTEGER NOT NULL, diff_id VARCHAR NOT NULL,
  PRIMARY KEY (image_id, position));
CREATE TABLE IF NOT EXISTS layers (
  diff_id VARCHAR PRIMARY KEY, size UBIGINT, file_count INTEGER);
CREATE TABLE IF NOT EXISTS layer_files (
  diff_id VARCHAR NOT NULL, path VARCHAR NOT NULL, kind UTINYINT NOT NULL, size UBIGINT NOT NULL,
  content_hash UBIGINT);
CREATE TABLE IF NOT EXISTS image_waste (
  image_id VARCHAR NOT NULL, pattern VARCHAR NOT NULL, versions INTEGER, bytes UBIGINT);
CREATE TABLE IF NOT EXISTS image_findings (
  image_id VARCHAR NOT NULL, rule VARCHAR NOT NULL, title VARCHAR, findings INTEGER,
  saving_bytes UBIGINT);
"""


class FleetStore:
    """The fleet database, opened for one command (a writer holds DuckDB's file lock)."""

    def __init__(self, path: str, read_only: bool = False) -> None:
        import duckdb

        self.path = path
        try:
            self.db = duckdb.connect(path, read_only=read_only)
        except duckdb.Error as error:
            raise FleetError(f"cannot open the fleet database {path}: {_first_line(error)}",
                             hint="a scan running on it holds it locked" if "lock" in str(error)
                             else None) from error
        self._error = duckdb.Error
        if read_only:
            if not self._has_schema():
                raise FleetError(f"{path} is not a layerscope fleet database",
                                 hint="create it with `layerscope fleet scan ... --db PATH`")
            return
        self._run(SCHEMA)
        self._run("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])

    def _has_schema(self) -> bool:
        rows = self.db.execute("SELECT count(*) FROM information_schema.tables "
                               "WHERE table_name IN ('meta', 'scans', 'images')").fetchone()
        return rows[0] == 3

    def _run(self, sql: str, parameters=None):
        try:
            return self.db.execute(sql, parameters) if parameters is not None else self.db.execute(sql)
        except self._error as error:
            raise FleetError(f"fleet database {self.path}: {_first_line(error)}") from error

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------------ scans

    def open_scan(self, targets: int) -> tuple[int, set[str]]:
        """(scan ID, refs it has already recorded): the unfinished scan a kill left, continued,
        or a new one."""
        row = self._run("SELECT scan_id, finished_at FROM scans ORDER BY scan_id DESC LIMIT 1").fetchone()
        if row is not None and row[1] is None:
            done = {r[0] for r in self._run("SELECT ref FROM scan_images WHERE scan_id = ?",
                                            [row[0]]).fetchall()}
            self._run("UPDATE scans SET targets = ? WHERE scan_id = ?", [targets, row[0]])
            return row[0], done
        scan = (row[0] + 1) if row is not None else 1
        self._run("INSERT INTO scans (scan_id, started_at, targets) VALUES (?, now(), ?)",
                  [scan, targets])
        return scan, set()

    def finish_scan(self, scan: int, analysed: int, reused: int) -> int:
        """Mark the scan finished; returns how many of its images failed."""
        failed = self._run("SELECT count(*) FROM scan_images WHERE scan_id = ? AND error IS NOT NULL",
                           [scan]).fetchone()[0]
        self._run("UPDATE scans SET finished_at = now(), analysed = ?, reused = ?, failed = ? "
                  "WHERE scan_id = ?", [analysed, reused, failed, scan])
        self._run("CHECKPOINT")
        return failed

    # ------------------------------------------------------------------ what is known

    def known_images(self) -> set[str]:
        return {r[0] for r in self._run("SELECT image_id FROM images").fetchall()}

    def known_layers(self) -> frozenset[str]:
        return frozenset(r[0] for r in self._run("SELECT diff_id FROM layers").fetchall())

    # ------------------------------------------------------------------ writing

    def record_reused(self, scan: int, ref: str, image_id: str) -> None:
        self._run("INSERT OR REPLACE INTO scan_images VALUES (?, ?, ?, NULL)", [scan, ref, image_id])

    def record_error(self, scan: int, ref: str, image_id: str | None, message: str) -> None:
        self._run("INSERT OR REPLACE INTO scan_images VALUES (?, ?, ?, ?)",
                  [scan, ref, image_id, message])

    def record_image(self, scan: int, ref: str, summary, files) -> None:
        """One analysed image and the rows of its layers not stored yet, in one transaction."""
        try:
            self.db.begin()
            self._write_image(scan, ref, summary, files)
            self.db.commit()
        except self._error as error:
            self.db.rollback()
            raise FleetError(f"fleet database {self.path}: {_first_line(error)}") from error

    def _write_image(self, scan: int, ref: str, summary, files) -> None:
        db = self.db
        if db.execute("SELECT 1 FROM images WHERE image_id = ?", [summary.image_id]).fetchone() is None:
            s = summary
            db.execute("INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                       [s.image_id, s.platform, s.size, s.visible_bytes, s.wasted_bytes, s.user_size,
                        s.user_wasted_bytes, s.efficiency, s.base_layers, s.base_id, s.base_name])
            ids = [layer.diff_id for layer in s.layers]
            if ids:
                db.execute("INSERT INTO image_layers SELECT ?, unnest(?), unnest(?)",
                           [s.image_id, list(range(len(ids))), ids])
            if s.waste:
                db.execute("INSERT INTO image_waste SELECT ?, unnest(?), unnest(?), unnest(?)",
                           [s.image_id, *map(list, zip(*s.waste))])
            if s.findings:
                db.execute("INSERT INTO image_findings SELECT ?, unnest(?), unnest(?), unnest(?), "
                           "unnest(?)", [s.image_id, *map(list, zip(*s.findings))])
            by_id = {f.diff_id: f for f in files}
            for layer in s.layers:
                self._write_layer(layer, by_id.get(layer.diff_id))
        db.execute("INSERT OR REPLACE INTO scan_images VALUES (?, ?, ?, NULL)",
                   [scan, ref, summary.image_id])

    def _write_layer(self, layer, files) -> None:
        db = self.db
        if db.execute("SELECT 1 FROM layers WHERE diff_id = ?", [layer.diff_id]).fetchone():
            return
        db.execute("INSERT INTO layers VALUES (?, ?, ?)", [layer.diff_id, layer.size, layer.file_count])
        if files is not None and files.paths:
            db.execute("INSERT INTO layer_files SELECT ?, unnest(?), unnest(?), unnest(?), unnest(?)",
                       [files.diff_id, list(files.paths), list(files.kinds), list(files.sizes),
                        list(files.hashes)])

    # ------------------------------------------------------------------ reading

    def query(self, sql: str, parameters=None) -> list[tuple]:
        return self._run(sql, parameters).fetchall()


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
