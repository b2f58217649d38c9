"""`fleet report --format json`: the layerscope/fleet/v1 document (docs/fleet.md)."""

from __future__ import annotations

import json
from dataclasses import asdict

from ..analysis.fleet import FleetReport
from .base import RenderOptions

FLEET_SCHEMA = "layerscope/fleet/v1"


def fleet_document(report: FleetReport) -> dict:
    """The report as plain JSON values: every list whole (--top is for human formats)."""
    return {
        "schema": FLEET_SCHEMA,
        "scan": {"id": report.scan_id, "finished_at": report.finished_at,
                 "previous_id": report.previous_scan_id},
        "totals": asdict(report.totals),
        "images_by_wasted": [asdict(i) for i in report.by_wasted],
        "images_by_own_bytes": [asdict(i) for i in report.by_own_bytes],
        "bases": [{**asdict(b), "refs": list(b.refs)} for b in report.bases],
        "waste_patterns": [asdict(p) for p in report.waste_patterns],
        "duplicate_content": [asdict(d) for d in report.duplicates],
        "rules": [asdict(r) for r in report.rules],
        "growth": [{**asdict(g), "delta": g.delta} for g in report.growth],
        "errors": [{"ref": ref, "error": error} for ref, error in report.errors],
    }


def render_fleet(report: FleetReport, options: RenderOptions) -> str:
    return json.dumps(fleet_document(report), indent=2) + "\n"
