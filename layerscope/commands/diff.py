"""`layerscope diff IMAGE_A IMAGE_B`: what changed between two images."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from typing import Any

from ..errors import LayerscopeError
from ..formats.base import FORMATS, RenderOptions, formatter
from ..formats.fit import for_reader
from ..output import check_writable, plan_outputs, write_report
from .reading import ReadingOptions, progress_for, reading_for, registry_access

LABELS = ("IMAGE_A", "IMAGE_B")


@dataclass(frozen=True, kw_only=True)
class DiffOptions(ReadingOptions):
    """What `diff` was asked for."""

    image_a: str
    """The old image's reference."""
    image_b: str
    """The new image's reference."""
    format: str | None = None
    """Report format name; None: by --output's extension, else text."""
    output: tuple[str, ...] | None = None
    """--output values as given: FILE, or FORMAT=FILE (repeatable); None: stdout."""
    top: int = 20
    """Changed-file rows in text and markdown."""
    depth: int | None = None
    """Sum changed files by directory this many components deep."""
    path: str | None = None
    """Only files whose path matches this glob."""
    exit_code: bool = False
    """Exit 1 when the images differ."""
    no_trunc: bool = False
    """Cut no instruction or path in the text."""
    fail_on_growth: Any = None
    """A Growth: exit 1 when B outgrows A by more than it."""


def read_both(reference_a: str, reference_b: str, platform: str | None, progress, cache,
              reading, access=None):
    """Read both images, streaming shared layers once; errors say which side failed. `access`
    is how to reach a registry (sources.registry_http.RegistryAccess)."""
    from ..sources.base import read_images
    from ..sources.reference import open_source

    sides = []
    for label, reference in zip(LABELS, (reference_a, reference_b)):
        try:
            sides.append(open_source(reference, platform, access))
        except LayerscopeError as error:
            raise error.prefixed(f"{label} ({reference})") from error
    return read_images(sides, progress, cache, list(LABELS), reading)


def diff(options: DiffOptions, progress, cache, reading):
    """The comparison of the two images."""
    from ..analysis.diff import diff_images
    from ..analysis.image_report import analyze

    image_a, image_b = read_both(options.image_a, options.image_b, options.platform, progress,
                                 cache, reading, registry_access(options))
    analysis_a, analysis_b = analyze(image_a), analyze(image_b)
    report = diff_images(analysis_a, analysis_b, options.path)
    if options.fail_on_growth is None:
        return report
    from ..rules.budgets.max_growth import judge_growth

    verdict = judge_growth(analysis_b, analysis_a.report, options.fail_on_growth,
                           top=options.top, source="--fail-on-growth")
    return replace(report, growth=verdict)


def run(options: DiffOptions) -> int:
    """Diff, render, write; exit 1 on --exit-code (images differ) or --fail-on-growth."""
    outputs = plan_outputs(FORMATS["diff"], options.format, options.output)
    for _, path in outputs:
        if path is not None:
            check_writable(path)
    cache, reading = reading_for(options, compared=True)
    with progress_for(options) as progress:
        report = diff(options, progress, cache, reading)
    to_stdout = any(path is None for _, path in outputs)
    fit = for_reader(os.environ, sys.stdout if to_stdout else None,
                     no_trunc=options.no_trunc)
    render = RenderOptions(top=options.top, depth=options.depth, fit=fit)
    for name, path in outputs:
        write_report(formatter("diff", name)(report, render), path)
    growth_failed = report.growth is not None and report.growth.status == "fail"
    if growth_failed and not options.quiet:
        # the report may be JSON or in a file: CI logs still show why the step failed
        sys.stderr.write(f"layerscope: --fail-on-growth failed: {report.growth.message}\n")
    if options.exit_code and not report.identical:
        return 1
    return 1 if growth_failed else 0
