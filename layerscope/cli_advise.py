"""`layerscope advise IMAGE`: argument wiring for the Dockerfile advice (rules come from the
registry in layerscope.rules)."""

from __future__ import annotations

import argparse

from .errors import UsageError
from .formats.base import FORMATS


def add_advise_parser(commands, positive) -> None:
    """Register the advise subcommand; `positive` is cli's whole-number argument type."""
    advise = commands.add_parser(
        "advise", help="the Dockerfile refactorings, each with the bytes it would save",
        description="Read the image (never run it) and list the Dockerfile changes that would "
                    "make it smaller, each with its estimated saving; with --dockerfile, the "
                    "lines, and with --patch, a unified diff of the mechanical fixes.")
    advise.add_argument("image", metavar="IMAGE", nargs="?",
                        help="the image to advise on (any reference form)")
    advise.add_argument("--dockerfile", metavar="PATH",
                        help="the Dockerfile the image was built from: findings carry its line "
                             "numbers (the final stage's instructions are aligned to the steps)")
    advise.add_argument("--patch", action="store_true",
                        help="print a unified diff of the mechanical fixes to --dockerfile "
                             "(apply with `patch -p0` or `git apply -p0`) instead of the report")
    advise.add_argument("--ignore", metavar="ID", action="append", default=[],
                        help="do not run rule ID (repeatable, or ID,ID); also `ignore = [...]` "
                             "in [tool.layerscope.advise] / .layerscope.toml [advise]")
    advise.add_argument("--config", metavar="FILE",
                        help="read [advise] settings from FILE (default: .layerscope.toml, else "
                             "pyproject.toml, in the current directory)")
    advise.add_argument("--list-rules", action="store_true",
                        help="list the rules (ID, severity, title) and exit; no IMAGE needed")
    advise.add_argument("--format", choices=tuple(FORMATS["advise"]), default="text",
                        help="report format (default: text)")
    advise.add_argument("--output", "-o", metavar="FILE",
                        help="write the report (or the patch) to FILE instead of stdout")
    advise.add_argument("--top", type=positive, default=5, metavar="N",
                        help="paths and packages listed under each finding in text (default: 5)")
    from .cli import add_reading_options

    add_reading_options(advise)
    advise.set_defaults(handler=run_advise)


def run_advise(args: argparse.Namespace) -> int:
    """advise: read, analyse, run the rules, render (or print the patch)."""
    from .analysis.image_report import analyze
    from .cli import _progress_for, layer_cache, write_report
    from .formats.base import RenderOptions, formatter
    from .rules import registry, unknown_ids
    from .rules.advise import advise, config_ignore
    from .sources.base import layer_digests
    from .sources.reference import open_source

    if args.list_rules:
        lines = [f"{r.id}  {r.severity:<7}  {r.title}" for r in registry().values()]
        write_report("\n".join(lines) + "\n", args.output)
        return 0
    if not args.image:
        raise UsageError("the following arguments are required: IMAGE",
                         hint="see `layerscope advise --help`")
    ignore = [part.strip().upper() for item in args.ignore for part in item.split(",")
              if part.strip()]
    bad = unknown_ids(ignore)
    if bad:
        raise UsageError(f"--ignore {bad[0]}: no such rule", hint="rules: " + ", ".join(registry()))
    if args.patch and not args.dockerfile:
        raise UsageError("--patch needs --dockerfile PATH", hint="the patch edits that Dockerfile")
    ignore = sorted(set(ignore) | {i.upper() for i in config_ignore(args.config)})

    progress = _progress_for(args)
    try:
        image = open_source(args.image, args.platform).read(progress, layer_cache(args))
        base = layer_digests(open_source(args.base, args.platform), progress) if args.base else None
    finally:
        if progress:
            progress.clear()
    report = advise(analyze(image, base), ignore, args.dockerfile, args.patch)
    if args.patch:
        write_report(report.patch or "", args.output)
        return 0
    write_report(formatter("advise", args.format)(report, RenderOptions(top=args.top)), args.output)
    return 0


def with_findings(analysis, packages: bool = False):
    """inspect's report with the advice findings (and, asked for, the packages per step)."""
    from dataclasses import replace

    from .rules import run_rules

    report = replace(analysis.report, findings=run_rules(analysis))
    if packages and analysis.image is not None:
        from .analysis.packages import step_packages

        layers = {s.index: s.layer for s in report.steps if s.layer is not None}
        report = replace(report, packages=step_packages(analysis.image, layers))
    return report
