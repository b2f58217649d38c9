"""Baselines for max-growth: an inspected image, or an earlier `inspect --format json` report."""

from __future__ import annotations

import json
from pathlib import Path

from ...analysis.image_report import InspectReport
from ...errors import ConfigError
from .base import Baseline

INSPECT_SCHEMA = "layerscope/inspect/v1"


def baseline_from_report(report: InspectReport) -> Baseline:
    name = report.repo_tags[0] if report.repo_tags else report.ref
    return Baseline(name, report.size, tuple((s.instruction, s.size) for s in report.steps
                                             if not s.empty_layer))


def read_baseline_json(path: str) -> Baseline:
    """Read a layerscope/inspect/v1 document; anything else is a ConfigError naming the file."""
    problem = None
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        problem = "no such file"
    except (OSError, UnicodeDecodeError) as error:
        problem = f"cannot be read: {getattr(error, 'strerror', None) or error}"
    except json.JSONDecodeError as error:
        problem = f"not JSON: {error}"
    if problem is None:
        try:
            if document.get("schema") != INSPECT_SCHEMA:
                raise ValueError(f"schema is {document.get('schema')!r}, "
                                 f"expected {INSPECT_SCHEMA!r}")
            image = document["image"]
            size = image["size"]
            if isinstance(size, bool) or not isinstance(size, int):
                raise ValueError("image.size is not an integer")
            steps = tuple((s["instruction"], int(s["size"])) for s in document.get("steps", [])
                          if not s.get("empty_layer"))
            name = (image.get("repo_tags") or [image.get("ref") or path])[0]
            return Baseline(str(name), size, steps)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            problem = f"not a layerscope inspect report ({error})"
    raise ConfigError([f"baseline-json {path}: {problem}"],
                      hint="write one with `layerscope inspect IMAGE --format json -o FILE`")
