"""The fleet report's sections as rows of cells, shared by the text, markdown and html
renderers so the three show the same figures."""

from __future__ import annotations

from ..analysis.fleet import FleetReport
from .units import percent, size


def short(image_id: str) -> str:
    """sha256:abcdef... -> abcdef123456, as docker images shows IDs."""
    return image_id.split(":")[-1][:12]


def totals_rows(report: FleetReport) -> list[tuple[str, str]]:
    t = report.totals
    return [
        ("images", f"{t.images} ({t.references} references, {t.failed} failed)"),
        ("logical bytes", f"{size(t.logical_bytes)} ({t.logical_bytes:,} B)"),
        ("unique layer bytes", f"{size(t.unique_layer_bytes)} ({t.unique_layer_bytes:,} B)"),
        ("shared by layers", size(t.logical_bytes - t.unique_layer_bytes)),
        ("wasted bytes", f"{size(t.wasted_bytes)} ({percent(t.wasted_bytes, t.logical_bytes)})"),
        ("duplicated content", size(t.duplicate_content_bytes)),
    ]


def sections(report: FleetReport, top: int) -> list[tuple[str, tuple[str, ...], list[tuple]]]:
    """(title, header, rows) of each section with rows, in order."""
    out = [
        ("Images by wasted bytes", ("image", "id", "size", "wasted", "own wasted"),
         [(i.ref, short(i.image_id), size(i.size), size(i.wasted_bytes), size(i.own_wasted_bytes))
          for i in report.by_wasted[:top] if i.wasted_bytes]),
        ("Images by own (non-base) bytes", ("image", "id", "size", "own bytes"),
         [(i.ref, short(i.image_id), size(i.size), size(i.own_bytes))
          for i in report.by_own_bytes[:top]]),
        ("Base images", ("base", "layers", "size", "own waste", "images"),
         [(b.name, str(b.layers), size(b.size), size(b.wasted_bytes), str(b.images))
          for b in report.bases[:top]]),
        ("Recurring wasted paths", ("pattern", "images", "versions", "bytes"),
         [(p.pattern, str(p.images), str(p.versions), size(p.bytes))
          for p in report.waste_patterns[:top]]),
        ("Content duplicated across layers", ("example path", "size", "layers", "saving"),
         [(d.example_path, size(d.size), str(d.layers), size(d.saving_bytes))
          for d in report.duplicates[:top]]),
        ("Findings by rule", ("rule", "title", "images", "findings", "saving"),
         [(r.rule, r.title, str(r.images), str(r.findings), size(r.saving_bytes))
          for r in report.rules]),
        (f"Growth since scan {report.previous_scan_id}", ("image", "before", "now", "change"),
         [(g.ref, "new" if g.previous_size is None else size(g.previous_size), size(g.size),
           ("+" if g.delta >= 0 else "-") + size(abs(g.delta))) for g in report.growth[:top]]),
        ("Unreadable images", ("image", "error"), [tuple(e) for e in report.errors]),
    ]
    return [section for section in out if section[2]]
