"""JSON output: stable keys, integer bytes, a versioned schema name (docs/schema/)."""

from __future__ import annotations

import json

from ..analysis.inspect import InspectReport
from .base import RenderOptions

INSPECT_SCHEMA = "layerscope/inspect/v1"


def inspect_document(report: InspectReport) -> dict:
    """The inspect report as the JSON document described in docs/schema/inspect-v1.md."""
    return {
        "schema": INSPECT_SCHEMA,
        "image": {
            "ref": report.ref,
            "id": report.image_id,
            "repo_tags": list(report.repo_tags),
            "platform": report.platform,
            "size": report.size,
            "visible_bytes": report.visible_bytes,
            "wasted_bytes": report.wasted_bytes,
            "user_size": report.user_size,
            "user_wasted_bytes": report.user_wasted_bytes,
            "efficiency": round(report.efficiency, 6),
            "layer_count": len(report.layers),
        },
        "base": {
            "layer_count": report.base.layer_count,
            "step_count": report.base.step_count,
            "method": report.base.method,
            "detail": report.base.detail,
        },
        "layers": [
            {
                "index": layer.index,
                "diff_id": layer.diff_id,
                "size": layer.size,
                "compressed_size": layer.compressed_size,
                "media_type": layer.media_type,
                "file_count": layer.file_count,
                "step": layer.step,
            }
            for layer in report.layers
        ],
        "steps": [
            {
                "index": step.index,
                "instruction": step.instruction,
                "created_by": step.created_by,
                "empty_layer": step.empty_layer,
                "layer": step.layer,
                "size": step.size,
                "added_bytes": step.added_bytes,
                "replaced_bytes": step.replaced_bytes,
                "deleted_lower_bytes": step.deleted_lower_bytes,
                "dead_bytes": step.dead_bytes,
                "live_bytes": step.live_bytes,
                "dead_by_step": [{"step": s, "bytes": b} for s, b in step.dead_by_step],
                "base": step.base,
                "history_missing": step.history_missing,
            }
            for step in report.steps
        ],
        "wasted": [
            {
                "path": item.path,
                "size": item.size,
                "kind": item.kind,
                "written_by_step": item.written_by_step,
                "killed_by_step": item.killed_by_step,
            }
            for item in report.wasted
        ],
    }


def render_inspect(report: InspectReport, options: RenderOptions) -> str:
    """The whole document; --top does not cut JSON, which always lists every dead version."""
    return json.dumps(inspect_document(report), indent=2) + "\n"
