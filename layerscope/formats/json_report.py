"""JSON output: stable keys, integer bytes, a versioned schema name (docs/schema/)."""

from __future__ import annotations

import json

from ..analysis.image_report import InspectReport
from .base import RenderOptions
from .json_text import Exact, indented

INSPECT_SCHEMA = "layerscope/inspect/v1"


def inspect_document(report: InspectReport) -> dict:
    """The inspect report as the JSON document described in docs/schema/inspect-v1.md."""
    from ..analysis.image_report import removed_below

    removed = removed_below(report)
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
            "efficiency": Exact(round(report.efficiency, 6)),
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
                "removed_lower_bytes": removed.get(step.index, 0),
                "replaced_lower_bytes": step.deleted_lower_bytes - removed.get(step.index, 0),
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
        "warnings": [
            {"kind": item.kind, "path": item.path, "layer": item.layer, "step": item.step,
             "message": item.message}
            for item in report.warnings
        ],
        **_advice_documents(report),
    }


def _advice_documents(report: InspectReport) -> dict:
    """inspect's findings[] (always) and packages[] (with --packages)."""
    from .advise_view import finding_document, package_document

    document = {}
    if report.findings is not None:
        document["findings"] = [finding_document(f) for f in report.findings]
    if report.packages:
        document["packages"] = [package_document(entry) for entry in report.packages]
    return document


ADVISE_SCHEMA = "layerscope/advise/v1"


def render_advise(report, options: RenderOptions) -> str:
    """The advise document (docs/schema/advise-v1.md): every finding, every path kept."""
    from .advise_view import finding_document, patch_document

    document = {
        "schema": ADVISE_SCHEMA,
        "image": {"ref": report.ref, "id": report.image_id, "repo_tags": list(report.repo_tags),
                  "size": report.size, "user_size": report.user_size},
        "dockerfile": report.dockerfile,
        "ignored": list(report.ignored),
        "estimated_saving_bytes": report.savings.every_fix,
        "mechanical_saving_bytes": report.savings.mechanical,
        "findings": [finding_document(f, report.dockerfile) for f in report.user_findings],
        "base_findings": [finding_document(f, report.dockerfile) for f in report.base_findings],
        **patch_document(report),
    }
    return json.dumps(document, indent=2) + "\n"


def render_inspect(report: InspectReport, options: RenderOptions) -> str:
    """The whole document; --top does not cut JSON, which lists every dead version (every
    one --path covers, with `path_filter` saying so)."""
    document = inspect_document(report)
    if options.path_glob is not None:
        document["path_filter"] = {"glob": options.path_glob,
                                   "wasted_files": len(report.wasted),
                                   "wasted_bytes": sum(item.size for item in report.wasted)}
    return indented(document)


DIFF_SCHEMA = "layerscope/diff/v1"


def _side(side) -> dict:
    return {"ref": side.ref, "id": side.image_id, "size": side.size,
            "visible_bytes": side.visible_bytes, "wasted_bytes": side.wasted_bytes,
            "compressed_size": side.compressed_size, "layer_count": side.layer_count}


def diff_document(report) -> dict:
    """The diff report as described in docs/schema/diff-v1.md."""
    from .check_json import budget_document

    a, b = report.a, report.b
    first = report.steps[0] if report.steps and not report.identical else None
    return {
        "schema": DIFF_SCHEMA,
        "a": _side(a),
        "b": _side(b),
        "summary": {
            "size_a": a.size, "size_b": b.size, "size_delta": b.size - a.size,
            "size_delta_percent": (Exact(round(100.0 * (b.size - a.size) / a.size, 3)) if a.size
                                   else None),
            "visible_delta": b.visible_bytes - a.visible_bytes,
            "wasted_delta": b.wasted_bytes - a.wasted_bytes,
            "compressed_delta": (None if a.compressed_size is None or b.compressed_size is None
                                 else b.compressed_size - a.compressed_size),
            "identical": report.identical,
        },
        "shared_layers": report.shared_layers,
        "shared_steps": report.shared_steps,
        "divergence": None if first is None else {
            "step_a": first.step_a, "step_b": first.step_b,
            "instruction_a": first.instruction_a, "instruction_b": first.instruction_b,
        },
        "steps": [
            {"step_a": p.step_a, "step_b": p.step_b, "instruction_a": p.instruction_a,
             "instruction_b": p.instruction_b, "size_a": p.size_a, "size_b": p.size_b,
             "size_delta": p.delta, "pairing": p.pairing}
            for p in report.steps
        ],
        "files": [
            {"path": f.path, "change": f.change, "size_a": f.size_a, "size_b": f.size_b,
             "size_delta": f.delta}
            for f in report.files
        ],
        "waste": [
            {"path": w.path, "change": w.side, "size": w.size, "size_a": w.size_a,
             "size_b": w.size_b, "size_delta": w.delta, "written_by": w.written_by,
             "killed_by": w.killed_by, "image": w.image, "written_step": w.written_step,
             "killed_step": w.killed_step}
            for w in report.waste
        ],
        "waste_unchanged": {"paths": report.waste_unchanged_paths,
                            "bytes": report.waste_unchanged_bytes},
        "path_filter": None if report.path_glob is None else {
            "glob": report.path_glob, "matching_paths": report.path_matches},
        "growth_check": None if report.growth is None else budget_document(report.growth),
    }


def render_diff(report, options: RenderOptions) -> str:
    """Every changed path is listed; --top and --depth shape only the human formats."""
    return indented(diff_document(report))
