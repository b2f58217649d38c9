"""`layerscope inspect IMAGE`: per-instruction sizes, wasted files, findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..fingerprint import code_fingerprint
from ..formats.base import RenderOptions, formatter
from ..output import check_writable, stdout_bytes, write_report
from .reading import ReadingOptions, base_digests, progress_for, reading_for, source_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..replay import Pending


@dataclass(frozen=True, kw_only=True)
class InspectOptions(ReadingOptions):
    """What `inspect` was asked for."""

    image: str
    """The image reference, as typed."""
    format: str = "text"
    """Report format name."""
    output: str | None = None
    """File to write the report to; None: stdout."""
    top: int = 10
    """Wasted-file rows in the text report."""
    packages: bool = False
    """Per step, the packages it installed, upgraded or removed."""
    path: str | None = None
    """List only the wasted files this glob covers (analysis.globs); the figures stay whole."""
    replay_key: Pending | None = None
    """The run whose finished stdout may be stored for a replay of the same command (from
    __main__)."""
    code_fingerprint: Callable[[], str] = code_fingerprint
    """Gives the code's fingerprint for the report key (from __main__: the run's, computed once)."""


def inspect(options: InspectOptions, progress, cache, reading):
    """The inspect report with findings; a repeat run is served from the report memo when the
    image, base, options and code are the same."""
    from ..analysis import report_memo
    from ..analysis.image_report import analyze
    from ..sources.base import Identifiable

    source = source_for(options.image, options)
    base = base_digests(options, progress, reading)
    key = None
    if cache.persistent and isinstance(source, Identifiable):
        image_id = source.identity()
        if image_id is not None:
            key = report_memo.report_key(image_id, base,
                                         ("inspect", options.image, bool(options.packages)),
                                         options.code_fingerprint)
            payload = cache.report(key)
            report = report_memo.loads(payload) if payload is not None else None
            if report is not None:
                return report
    report = with_findings(analyze(source.read(progress, cache, reading), base), options.packages)
    if key is not None:
        cache.store_report(key, report_memo.dumps(report))
    return report


def with_findings(analysis, packages: bool = False):
    """The analysis's report with the advice findings (and, asked for, the packages per step)."""
    from ..rules import RuleContext, run_rules_in

    context = RuleContext(analysis)
    report = replace(analysis.report, findings=run_rules_in(context))
    if packages and analysis.image is not None:
        from ..analysis.packages import step_packages

        layers = {s.index: s.layer for s in report.steps if s.layer is not None}
        report = replace(report, packages=step_packages(analysis.image, layers, context.packages))
    return report


def run(options: InspectOptions) -> int:
    """Inspect, render, write; store the output for replay when __main__ gave a key."""
    if options.output is not None:
        check_writable(options.output)
    cache, reading = reading_for(options)
    with progress_for(options) as progress:
        report = inspect(options, progress, cache, reading)
    if options.path is not None:
        from ..analysis.globs import PathGlob

        covers = PathGlob(options.path).covers
        report = replace(report, wasted=tuple(w for w in report.wasted if covers(w.path)))
    text = formatter("inspect", options.format)(report, RenderOptions(top=options.top,
                                                                      path_glob=options.path))
    write_report(text, options.output)
    if options.replay_key is not None:
        from .. import replay

        replay.store(options.replay_key, stdout_bytes(text), cache)
    return 0
