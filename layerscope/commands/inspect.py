"""`layerscope inspect IMAGE`: per-instruction sizes, wasted files, findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..fingerprint import code_fingerprint
from ..formats.base import FORMATS, RenderOptions, formatter
from ..output import check_writable, plan_outputs, stdout_bytes, write_report
from .reading import ReadingOptions, base_digests, progress_for, reading_for, source_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..replay import Pending


@dataclass(frozen=True, kw_only=True)
class InspectOptions(ReadingOptions):
    """What `inspect` was asked for."""

    image: str
    """The image reference, as typed."""
    format: str | None = None
    """Report format name; None: by --output's extension, else text."""
    output: tuple[str, ...] | None = None
    """--output values as given: FILE, or FORMAT=FILE (repeatable); None: stdout."""
    top: int = 10
    """Wasted-file rows in the text report."""
    packages: bool = False
    """Per step, the packages it installed, upgraded or removed."""
    dockerfile: str | None = None
    """The Dockerfile the image was built from: findings carry its lines, and the HTML report
    shows the patch of the mechanical fixes (advise --patch)."""
    replay_key: Pending | None = None
    """The run whose finished stdout may be stored for a replay of the same command (from
    __main__)."""
    code_fingerprint: Callable[[], str] = code_fingerprint
    """Gives the code's fingerprint for the report key (from __main__: the run's, computed once)."""


def inspect(options: InspectOptions, progress, cache, reading, filesystem: bool = False):
    """The inspect report with findings, and with `filesystem` the final filesystem's files
    for the HTML map (None otherwise); a repeat run is served from the report memo when the
    image, base, options and code are the same and no filesystem is asked for."""
    from ..analysis import report_memo
    from ..analysis.image_report import analyze
    from ..sources.base import Identifiable

    source = source_for(options.image, options)
    base = base_digests(options, progress, reading)
    key = None
    if cache.persistent and isinstance(source, Identifiable) and not filesystem:
        image_id = source.identity()
        if image_id is not None:
            key = report_memo.report_key(image_id, base,
                                         ("inspect", options.image, bool(options.packages)),
                                         options.code_fingerprint)
            payload = cache.report(key)
            report = report_memo.loads(payload) if payload is not None else None
            if report is not None:
                return report, None
    analysis = analyze(source.read(progress, cache, reading), base)
    report = with_findings(analysis, options.packages)
    if key is not None:
        cache.store_report(key, report_memo.dumps(report))
    return report, (final_files(analysis, report) if filesystem else None)


def with_dockerfile(report, path: str):
    """(the report whose findings carry the Dockerfile's lines, the unified diff of their
    mechanical fixes: "" when none apply)."""
    from ..rules.dockerfile import align, patch, read_dockerfile, with_lines

    parsed = read_dockerfile(path)
    aligned = align(parsed, [(s.index, s.instruction, s.base) for s in report.steps])
    findings = with_lines(report.findings, aligned)
    return replace(report, findings=findings), patch(parsed, findings, aligned)


def final_files(analysis, report):
    """A function giving (path, step that wrote it, bytes, False) for every file of the final
    filesystem, one at a time (a list of a million tuples would cost the report 100 MB)."""
    from ..analysis.tree import live_versions

    steps = {layer.index: layer.step for layer in report.layers}

    def files():
        for version in live_versions(analysis.merged.final_tree):
            if version.entry.size:
                yield version.entry.path, steps.get(version.layer, -1), version.entry.size, False

    return files


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
    outputs = plan_outputs(FORMATS["inspect"], options.format, options.output)
    for _, path in outputs:
        if path is not None:
            check_writable(path)
    cache, reading = reading_for(options)
    html = any(name == "html" for name, _ in outputs)
    with progress_for(options) as progress:
        report, filesystem = inspect(options, progress, cache, reading, filesystem=html)
    patch = None
    if options.dockerfile is not None:
        report, patch = with_dockerfile(report, options.dockerfile)
    render = RenderOptions(top=options.top, filesystem=filesystem, patch=patch)
    for name, path in outputs:
        text = formatter("inspect", name)(report, render)
        write_report(text, path)
        if path is None and options.replay_key is not None:
            from .. import replay

            replay.store(options.replay_key, stdout_bytes(text), cache)
    return 0
