"""The rows of one finished scan, read from the fleet database for analysis.fleet. The one
aggregation done in SQL is the duplicated content: it groups every indexed file."""

from __future__ import annotations

from ..analysis.fleet import FleetRows, ImageRow
from . import FleetError
from .store import FleetStore

DUPLICATE_ROWS = 50
"""Duplicated contents listed (the totals count them all)."""

_SCAN_IMAGES = "SELECT image_id FROM scan_images WHERE scan_id = $scan AND error IS NULL"

_DUPLICATES = f"""
WITH scan_layers AS (SELECT DISTINCT diff_id FROM image_layers WHERE image_id IN ({_SCAN_IMAGES})),
copies AS (
  SELECT content_hash, size, count(DISTINCT diff_id) AS layers, min(path) AS path
  FROM layer_files
  WHERE kind = 0 AND size > 0 AND content_hash IS NOT NULL
    AND diff_id IN (SELECT diff_id FROM scan_layers)
  GROUP BY content_hash, size HAVING count(DISTINCT diff_id) > 1)
"""


def report_rows(store: FleetStore, scan: int | None = None) -> FleetRows:
    """The rows of scan `scan`, or of the latest finished scan."""
    finished = store.query("SELECT scan_id, strftime(finished_at, '%Y-%m-%dT%H:%M:%SZ') FROM scans "
                           "WHERE finished_at IS NOT NULL ORDER BY scan_id")
    if not finished:
        raise FleetError(f"{store.path} holds no finished scan",
                         hint="run `layerscope fleet scan ... --db PATH` first")
    ids = [row[0] for row in finished]
    if scan is None:
        scan = ids[-1]
    elif scan not in ids:
        raise FleetError(f"{store.path} has no finished scan {scan}",
                         hint=f"finished scans: {', '.join(map(str, ids))}")
    finished_at = dict(finished)[scan]
    earlier = [i for i in ids if i < scan]
    previous = earlier[-1] if earlier else None
    p = {"scan": scan}
    images = tuple(ImageRow(*row) for row in store.query(
        "SELECT s.ref, s.image_id, s.error, coalesce(i.size, 0), coalesce(i.wasted_bytes, 0), "
        "coalesce(i.user_size, 0), coalesce(i.user_wasted_bytes, 0), coalesce(i.base_layers, 0), "
        "i.base_id FROM scan_images s LEFT JOIN images i USING (image_id) "
        "WHERE s.scan_id = $scan ORDER BY s.ref", p))
    layers = tuple(store.query(
        "SELECT il.image_id, il.position, il.diff_id, l.size FROM image_layers il "
        f"JOIN layers l USING (diff_id) WHERE il.image_id IN ({_SCAN_IMAGES}) "
        "ORDER BY il.image_id, il.position", p))
    waste = tuple(store.query(
        f"SELECT image_id, pattern, versions, bytes FROM image_waste WHERE image_id IN ({_SCAN_IMAGES})", p))
    findings = tuple(store.query(
        "SELECT image_id, rule, title, findings, saving_bytes FROM image_findings "
        f"WHERE image_id IN ({_SCAN_IMAGES})", p))
    duplicates = tuple(store.query(
        _DUPLICATES + "SELECT content_hash, size, layers, path FROM copies "
        f"ORDER BY size * (layers - 1) DESC, content_hash LIMIT {DUPLICATE_ROWS}", p))
    count, saving = store.query(
        _DUPLICATES + "SELECT count(*), coalesce(sum(size * (layers - 1)), 0) FROM copies", p)[0]
    previous_sizes = () if previous is None else tuple(store.query(
        "SELECT s.ref, i.size FROM scan_images s JOIN images i USING (image_id) "
        "WHERE s.scan_id = $scan AND s.error IS NULL", {"scan": previous}))
    return FleetRows(scan, finished_at, images, layers, waste, findings, duplicates,
                     (int(count), int(saving)), previous, previous_sizes)
