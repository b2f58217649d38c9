"""`layerscope check IMAGE`: the CI size budget; exit 0 every budget passes, 1 one failed."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from ..errors import LayerscopeError
from ..formats.base import FORMATS, RenderOptions, formatter
from ..output import check_writable, plan_outputs, write_report
from .reading import (
    ReadingOptions,
    base_digests,
    progress_for,
    read_image,
    read_merged,
    reading_for,
    source_for,
)

EXIT_FAILED = 1


@dataclass(frozen=True, kw_only=True)
class CheckOptions(ReadingOptions):
    """What `check` was asked for."""

    image: str
    """The image reference, as typed (per-image config sections match it)."""
    budget_flags: dict[str, Any] = field(default_factory=dict)
    """Budget and setting key -> raw command-line value (None: not given)."""
    config: str | None = None
    """--config FILE, else the config file found in the current directory."""
    dive_ci: str | None = None
    """dive's .dive-ci file to read rules from."""
    format: str | None = None
    """Format of the main report; None: by --output's extension, else text."""
    output: tuple[str, ...] = ()
    """--output values as given: FILE, or FORMAT=FILE (repeatable)."""
    top: int = 5
    """Contributors listed under each failure."""


def _with_side(label: str, reference: str, read):
    try:
        return read()
    except LayerscopeError as error:
        raise error.prefixed(f"{label} {reference}") from error


def check(options: CheckOptions, settings, progress, cache, reading):
    """The budgets' verdicts for the image under the resolved settings."""
    from ..analysis.image_report import analyze
    from ..rules.budgets import CheckContext, run_budgets
    from ..rules.budgets.baseline import baseline_from_report, read_baseline_json

    baseline = read_baseline_json(settings.baseline_json) if settings.baseline_json else None
    image, merged = read_merged(source_for(options.image, options), progress, cache, reading)
    base = base_digests(options, progress, reading)
    baseline_image = None
    if settings.baseline and "max-growth" in settings.limits:
        baseline_image = _with_side("baseline", settings.baseline, lambda: read_image(
            settings.baseline, options, progress, cache, reading))
    analysis = analyze(image, base, merged)
    if baseline_image is not None:
        baseline = baseline_from_report(analyze(baseline_image).report)
    context = CheckContext(analysis, top=options.top, user=settings.user,
                           min_wasted_to_fail=settings.min_wasted_to_fail, baseline=baseline)
    return run_budgets(analysis, settings.limits, context, settings.sources, settings.files)


def run(options: CheckOptions) -> int:
    """Settings, image, baseline, budgets, every requested report; exit 1 on a failure."""
    from ..settings import load_settings

    outputs = plan_outputs(FORMATS["check"], options.format, options.output)
    for _, path in outputs:
        if path is not None:
            check_writable(path)
    settings = load_settings(options.image, options.budget_flags, options.config, options.dive_ci)
    cache, reading = reading_for(options)
    with progress_for(options) as progress:
        result = check(options, settings, progress, cache, reading)
    render = RenderOptions(top=options.top)
    for name, path in outputs:
        write_report(formatter("check", name)(result, render), path)
    if any(name == "github" for name, _ in outputs):
        from ..formats.github import append_step_summary

        append_step_summary(result, render)
    if not result.results and not options.quiet:
        sys.stderr.write("layerscope: warning: no budgets set, nothing was checked\n"
                         "hint: give --max-size SIZE or another budget, or a config file "
                         "(docs/check.md)\n")
    return EXIT_FAILED if result.failed else 0
