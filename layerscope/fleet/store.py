"""The fleet database: one DuckDB file, its schema (docs/fleet.md), one transaction per image so
a scan killed at any moment leaves every finished image in it and nothing half-written."""

from __future__ import annotations

import time

from . import FleetError

SCHEMA_VERSION = "1"
FIRST_COMMIT, COMMIT_EVERY = 0.1, 1.0
"""Seconds of results buffered at most before they are written in one transaction: a tenth of
a second for the first batch, twice as long for each one after it, up to a second. A kill loses
no more than that; a fleet of small images pays a statement per table a batch, not a
transaction (and its fsync) an image; and the first images are in the database soon. A
transaction costs the client 10-30 ms of CPU whatever it holds, taken from the workers on a
busy machine: at a tenth of a second each it was half the client's work while a 2-worker cluster
ran (0.13 of 0.24 s CPU, 24 images)."""

# one transaction, so a scan killed while it creates a new database leaves every table or none
SCHEMA = """
BEGIN TRANSACTION;
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
COMMIT;
"""


WRITE_ORDER = ("layers", "images", "image_layers", "image_waste",
               "image_findings", "scan_images")


class FleetStore:
    """The fleet database, opened for one command (a writer holds DuckDB's file lock)."""

    def __init__(self, path: str, read_only: bool = False) -> None:
        try:
            import duckdb
        except ImportError as error:
            raise FleetError("the fleet database needs the `duckdb` package",
                             hint="pip install 'layerscope[fleet]'") from error

        self.path = path
        try:
            self.db = duckdb.connect(path, read_only=read_only)
        except duckdb.Error as error:
            raise FleetError(f"cannot open the fleet database {path}: {_first_line(error)}",
                             hint="a scan running on it holds it locked" if "lock" in str(error)
                             else None) from error
        self._error = duckdb.Error
        self._pending: dict[str, list[list]] = {}
        self._files: list = []
        self._since = 0.0
        self._every = FIRST_COMMIT
        self._images: set[str] | None = None
        self._layers: set[str] = set()
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
        self.commit()
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
        self.commit()
        failed = self._run("SELECT count(*) FROM scan_images WHERE scan_id = ? AND error IS NOT NULL",
                           [scan]).fetchone()[0]
        self._run("UPDATE scans SET finished_at = now(), analysed = ?, reused = ?, failed = ? "
                  "WHERE scan_id = ?", [analysed, reused, failed, scan])
        self._run("CHECKPOINT")
        return failed

    # ------------------------------------------------------------------ what is known

    def known_images(self) -> set[str]:
        self._load_known()
        return set(self._images)

    def known_layers(self) -> frozenset[str]:
        self._load_known()
        return frozenset(self._layers)

    def _load_known(self) -> None:
        if self._images is None:
            self._images = {r[0] for r in self._run("SELECT image_id FROM images").fetchall()}
            self._layers = {r[0] for r in self._run("SELECT diff_id FROM layers").fetchall()}

    # ------------------------------------------------------------------ writing
    # Rows are buffered and written up to COMMIT_EVERY seconds' worth at a time, each table in one
    # statement, in one transaction: a kill loses at most that, never part of an image.

    def record_reused(self, scan: int, ref: str, image_id: str) -> None:
        self._add("scan_images", scan, ref, image_id, None)
        self._recorded()

    def record_error(self, scan: int, ref: str, image_id: str | None, message: str) -> None:
        self._add("scan_images", scan, ref, image_id, message)
        self._recorded()

    def record_image(self, scan: int, ref: str, summary, files) -> None:
        """One analysed image and the rows of its layers not stored yet."""
        self._load_known()
        s = summary
        if s.image_id not in self._images:
            self._images.add(s.image_id)
            self._add("images", s.image_id, s.platform, s.size, s.visible_bytes, s.wasted_bytes,
                      s.user_size, s.user_wasted_bytes, s.efficiency, s.base_layers, s.base_id,
                      s.base_name, self._now())
            for position, layer in enumerate(s.layers):
                self._add("image_layers", s.image_id, position, layer.diff_id)
            for row in s.waste:
                self._add("image_waste", s.image_id, *row)
            for row in s.findings:
                self._add("image_findings", s.image_id, *row)
            by_id = {f.diff_id: f for f in files}
            for layer in s.layers:
                if layer.diff_id not in self._layers:
                    self._layers.add(layer.diff_id)
                    self._add("layers", layer.diff_id, layer.size, layer.file_count)
                    rows = by_id.get(layer.diff_id)
                    if rows is not None and rows.count:
                        self._files.append(rows)
        self._add("scan_images", scan, ref, s.image_id, None)
        self._recorded()

    def _add(self, table: str, *row) -> None:
        columns = self._pending.get(table)
        if columns is None:
            columns = self._pending[table] = [[] for _ in row]
            self._since = self._since or time.monotonic()
        for column, value in zip(columns, row):
            column.append(value)

    def _recorded(self) -> None:
        """After each whole image: write the buffer when it is old enough (FIRST_COMMIT)."""
        if self._pending and time.monotonic() - self._since >= self._every:
            self._every = min(2 * self._every, COMMIT_EVERY)
            self.commit()

    def _now(self):
        import datetime

        return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)

    def commit(self) -> None:
        """Write every buffered row, in one transaction."""
        if not self._pending:
            return
        pending, self._pending, self._since = self._pending, {}, 0.0
        files, self._files = self._files, []
        try:
            self.db.begin()
            if files:
                self._load_files(files)
            for table in WRITE_ORDER:
                columns = pending.get(table)
                if columns:
                    verb = "INSERT OR REPLACE" if table == "scan_images" else "INSERT"
                    values = ", ".join("unnest(?)" for _ in columns)
                    self.db.execute(f"{verb} INTO {table} SELECT {values}", columns)
            self.db.commit()
        except self._error as error:
            self.db.rollback()
            raise FleetError(f"fleet database {self.path}: {_first_line(error)}") from error

    def _load_files(self, files) -> None:
        """The layers' entries, from their CSV, in one statement (each file names its layer)."""
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory(prefix="layerscope-fleet-") as directory:
            names = []
            for rows in files:
                name = Path(directory) / (rows.diff_id.replace(":", "-") + ".csv")
                name.write_bytes(rows.csv)
                names.append(str(name))
            self.db.execute(
                "INSERT INTO layer_files SELECT replace(regexp_extract(filename, '([a-z0-9]+-[0-9a-f]+)"
                "\\.csv$', 1), '-', ':'), path, kind, size, content_hash FROM read_csv(?, "
                "header = false, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                "filename = true, columns = {'path': 'VARCHAR', 'kind': 'UTINYINT', "
                "'size': 'UBIGINT', 'content_hash': 'UBIGINT'})", [names])

    # ------------------------------------------------------------------ reading

    def query(self, sql: str, parameters=None) -> list[tuple]:
        return self._run(sql, parameters).fetchall()


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
