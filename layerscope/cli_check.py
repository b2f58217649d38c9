"""`layerscope check IMAGE`: argument wiring for the CI budget (flags come from the registries)."""

from __future__ import annotations

import argparse
import sys

from .cli import CHECK_HELP
from .config import SETTINGS
from .errors import LayerscopeError, UsageError
from .formats.base import FORMATS
from .rules.budgets import BUDGETS
from .rules.budgets.base import GLOBS, IDS

EXIT_FAILED = 1


def add_check_parser(commands, positive) -> None:
    """Register the check subcommand; `positive` is cli's whole-number argument type."""
    check = commands.add_parser(
        "check", help=CHECK_HELP,
        description="Judge an image against size budgets (flags, .layerscope.toml, "
                    "[tool.layerscope.check] in pyproject.toml, or dive's .dive-ci). Omitted "
                    "budgets are off. Exit 0 all pass, 1 a budget failed, 2 error.")
    check.add_argument("image", metavar="IMAGE", help="the image to check (any reference form)")
    check.add_argument("--config", metavar="FILE",
                       help="read settings from FILE (default: .layerscope.toml, else "
                            "pyproject.toml, in the current directory)")
    check.add_argument("--dive-ci", metavar="PATH",
                       help="read dive's CI rules (lowestEfficiency, highestWastedBytes, "
                            "highestUserWastedPercent) from PATH")
    budgets = check.add_argument_group("budgets (each off unless given here or in the config)")
    for name, budget in BUDGETS.items():
        if budget.kind in (GLOBS, IDS):
            budgets.add_argument(f"--{name}", metavar=budget.metavar, action="append",
                                 help=budget.help.replace("%", "%%"))
        else:
            budgets.add_argument(f"--{name}", metavar=budget.metavar,
                                 help=budget.help.replace("%", "%%"))
    for name, setting in SETTINGS.items():
        if setting.kind == "bool":
            budgets.add_argument(f"--{name}", action=argparse.BooleanOptionalAction, default=None,
                                 help=setting.help)
        else:
            budgets.add_argument(f"--{name}", metavar=setting.metavar, help=setting.help)
    check.add_argument("--format", choices=tuple(FORMATS["check"]), default="text",
                       help="report format on stdout (default: text)")
    check.add_argument("--output", "-o", metavar="FILE|FORMAT=FILE", action="append",
                       help="write the --format report to FILE instead of stdout, or (repeatable) "
                            "also write FORMAT to FILE, e.g. -o junit=budget.xml")
    check.add_argument("--top", type=positive, default=5, metavar="N",
                       help="contributors listed under each failure (default: 5)")
    from .cli import add_reading_options

    add_reading_options(check)
    check.set_defaults(handler=run_check)


def flag_values(args: argparse.Namespace) -> dict:
    """key -> raw command-line value, None when the flag was not given."""
    values = {}
    for name in (*BUDGETS, *SETTINGS):
        value = getattr(args, name.replace("-", "_"))
        if value is not None and name in BUDGETS and BUDGETS[name].kind == IDS:
            value = [part for item in value for part in item.split(",")]
        values[name] = value
    return values


def plan_outputs(fmt: str, outputs: list[str] | None) -> list[tuple[str, str | None]]:
    """(format, file or None for stdout) pairs; the --format report goes to stdout by default."""
    plain, extra = [], []
    for output in outputs or []:
        name, equals, path = output.partition("=")
        if equals and name in FORMATS["check"]:
            if not path:
                raise UsageError(f"--output {output}: no file after '='",
                                 hint="write --output FORMAT=FILE, e.g. --output junit=report.xml")
            extra.append((name, None if path == "-" else path))
        elif equals and "/" not in name and "." not in name:
            raise UsageError(f"--output {output}: unknown format {name!r}",
                             hint="choose from " + ", ".join(FORMATS["check"]))
        else:
            plain.append(output)
    if len(plain) > 1:
        raise UsageError("--output FILE given more than once",
                         hint="repeat --output only as FORMAT=FILE, e.g. -o json=check.json")
    primary = (fmt, None if not plain or plain[0] == "-" else plain[0])
    planned = [primary, *extra]
    if sum(1 for _, path in planned if path is None) > 1:
        raise UsageError("more than one report would go to stdout",
                         hint="give a file to all but one: --output FORMAT=FILE")
    return planned


def _with_side(label: str, reference: str, read):
    try:
        return read()
    except LayerscopeError as error:
        raise type(error)(f"{label} {reference}: {error.message}", error.hint) from error


def run_check(args: argparse.Namespace) -> int:
    """check: settings, image, baseline, budgets, every requested report; exit 1 on a failure."""
    from .analysis.image_report import analyze
    from .cli import _progress_for, layer_cache, write_report
    from .config import load_settings
    from .formats.base import RenderOptions, formatter
    from .rules.budgets import CheckContext, run_budgets
    from .rules.budgets.baseline import baseline_from_report, read_baseline_json
    from .sources.base import layer_digests
    from .sources.reference import open_source

    outputs = plan_outputs(args.format, args.output)
    settings = load_settings(args.image, flag_values(args), args.config, args.dive_ci)
    baseline = read_baseline_json(settings.baseline_json) if settings.baseline_json else None

    progress = _progress_for(args)
    cache = layer_cache(args)
    try:
        image = open_source(args.image, args.platform).read(progress, cache)
        base = None
        if args.base:
            base = layer_digests(open_source(args.base, args.platform), progress)
        baseline_image = None
        if settings.baseline and "max-growth" in settings.limits:
            baseline_image = _with_side("baseline", settings.baseline, lambda: open_source(
                settings.baseline, args.platform).read(progress, cache))
    finally:
        if progress:
            progress.clear()
    analysis = analyze(image, base)
    if baseline_image is not None:
        baseline = baseline_from_report(analyze(baseline_image).report)

    context = CheckContext(analysis, top=args.top, user=settings.user,
                           min_wasted_to_fail=settings.min_wasted_to_fail, baseline=baseline)
    result = run_budgets(analysis, settings.limits, context, settings.sources, settings.files)
    options = RenderOptions(top=args.top)
    for name, path in outputs:
        write_report(formatter("check", name)(result, options), path)
    if any(name == "github" for name, _ in outputs):
        from .formats.github import append_step_summary

        append_step_summary(result, options)
    if not result.results and not args.quiet:
        sys.stderr.write("layerscope: warning: no budgets set, nothing was checked\n"
                         "hint: give --max-size SIZE or another budget, or a config file "
                         "(docs/check.md)\n")
    return EXIT_FAILED if result.failed else 0
