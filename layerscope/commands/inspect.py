"""`layerscope inspect IMAGE`: per-instruction sizes, wasted files, findings."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..errors import UsageError
from ..fingerprint import code_fingerprint
from ..formats.base import FORMATS, RenderOptions, formatter
from ..formats.fit import for_reader
from ..output import check_writable, plan_outputs, stdout_bytes, write_report
from .reading import (
    ReadingOptions,
    base_digests,
    progress_for,
    read_merged,
    reading_for,
    source_for,
)

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
    path: str | None = None
    """List only the wasted files this glob covers (analysis.globs); the figures stay whole."""
    no_trunc: bool = False
    """Cut no instruction or path in the text."""
    wide: bool = False
    """Every column of the steps table, even past the terminal's width."""
    expand: bool = False
    """List each wasted group's files under it."""
    files: int | None = None
    """Show this step's files as a tree instead of the report."""
    sort: str = "size"
    """Order of the --files tree: size (largest first) or path."""
    dockerfile: str | None = None
    """The Dockerfile the image was built from: each step shows its line, findings carry
    theirs, and the HTML report shows the patch of the mechanical fixes (advise --patch)."""
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
    image, merged = read_merged(source, progress, cache, reading)
    analysis = analyze(image, base, merged)
    report = with_findings(analysis, options.packages)
    if key is not None:
        cache.store_report(key, report_memo.dumps(report))
    return report, (final_files(analysis, report) if filesystem else None)


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
    names = [name for name, _ in outputs]
    if options.files is not None and names != ["text"]:
        raise UsageError(f"--files is a text view; --format {names[0]} cannot show it",
                         hint="drop --format, or use --format json for every step's figures")
    to_stdout = any(path is None for _, path in outputs)
    fit = for_reader(os.environ, sys.stdout if to_stdout else None,
                     no_trunc=options.no_trunc, wide=options.wide)
    cache, reading = reading_for(options)
    with progress_for(options) as progress:
        if options.files is not None:
            texts = [(_files_text(options, fit, progress, cache, reading), outputs[0][1])]
        else:
            texts = _report_texts(options, outputs, fit, progress, cache, reading)
    for text, path in texts:
        write_report(text, path)
        if path is None and options.replay_key is not None:
            from .. import replay

            replay.store(options.replay_key, stdout_bytes(text), cache)
    return 0


def _report_texts(options: InspectOptions, outputs, fit, progress, cache, reading):
    """(rendered report, path) for each output asked for."""
    html = any(name == "html" for name, _ in outputs)
    report, filesystem = inspect(options, progress, cache, reading, filesystem=html)
    if options.path is not None:
        from ..analysis.globs import PathGlob

        covers = PathGlob(options.path).covers
        report = replace(report, wasted=tuple(w for w in report.wasted if covers(w.path)))
    lines: tuple[tuple[int, int], ...] = ()
    patch = None
    if options.dockerfile is not None:
        from ..rules.advise import dockerfile_view

        findings, lines, patch = dockerfile_view(report, options.dockerfile, want_patch=html)
        report = replace(report, findings=findings if report.findings is not None else None)
    render = RenderOptions(top=options.top, fit=fit, expand=options.expand,
                           dockerfile_lines=lines, dockerfile=options.dockerfile,
                           path_glob=options.path,
                           filesystem=filesystem, patch=patch)
    return [(formatter("inspect", name)(report, render), path) for name, path in outputs]


def _files_text(options: InspectOptions, fit, progress, cache, reading) -> str:
    """--files STEP: that step's layer as a tree (read in full: the report memo keeps no
    files)."""
    from ..analysis.image_report import analyze
    from ..analysis.step_files import step_files
    from ..formats.files_view import render_files

    image, merged = read_merged(source_for(options.image, options), progress, cache, reading)
    report = analyze(image, base_digests(options, progress, reading), merged).report
    last = len(report.steps) - 1
    if options.files > last:
        raise UsageError(f"--files {options.files}: the image has steps 0 to {last}",
                         hint="the # column of `layerscope inspect` numbers them")
    step = report.steps[options.files]
    if step.layer is None:
        return (f"Step {step.index} ({step.instruction}) made no layer: it changed no files, "
                "only the image's configuration.\n")
    return render_files(step_files(image, report, step.index), fit, options.sort)
