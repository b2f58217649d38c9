"""The command line: builds the parser and hands the parsed options to the one command module
asked for. Nothing here reads an image, renders a report or prints an error."""

from __future__ import annotations

import argparse
import dataclasses

from . import __version__
from .errors import UsageError
from .formats.base import FORMATS


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing, so __main__ stays the one error boundary."""

    def error(self, message: str):  # argparse's hook
        raise UsageError(message, hint=f"see `{self.prog} --help`")


def _whole_number(minimum: int, too_small: str):
    """An argparse type for whole numbers of at least `minimum`."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"{value} {too_small}")
        return number

    return parse


_positive = _whole_number(1, "must be at least 1")
_ratio = _whole_number(0, "must be 0 (no limit) or more")


def _growth(value: str):
    from .settings import Invalid, parse_growth

    try:
        return parse_growth(value)
    except Invalid as error:
        raise argparse.ArgumentTypeError(f"{value!r}: {error}") from None


CHECK_HELP = "CI size budget: exit 0 when every budget passes, 1 when one fails"


def build_parser(command: str | None = None) -> Parser:
    """The command line, documented in README.md (kept in step with a test).

    With `command`, the other commands get only their one-line help: check's flags come from
    the budget registry and the config schema, whose imports would cost every other run."""
    parser = Parser(
        prog="layerscope",
        description="Explains where the bytes of a container image went: per Dockerfile step, "
                    "exactly, with the files one step wrote and a later step deleted or replaced.",
    )
    parser.add_argument("--version", action="version", version=f"layerscope {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback when something fails")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    inspect = commands.add_parser(
        "inspect", help="per-instruction sizes, wasted files and the headline figures",
        description="Show how many bytes each Dockerfile instruction added, and which files one "
                    "step wrote and a later step removed or replaced (wasted bytes).")
    inspect.add_argument("image", metavar="IMAGE",
                         help="name:tag or ID in the local engine, docker-daemon:NAME, "
                              "docker-archive:PATH, a .tar from docker save, oci:DIR[:TAG], "
                              "oci-archive:PATH[:TAG]")
    inspect.add_argument("--format", choices=tuple(FORMATS["inspect"]), default="text",
                         help="report format (default: text)")
    inspect.add_argument("--output", "-o", metavar="FILE",
                         help="write the report to FILE instead of stdout")
    inspect.add_argument("--top", type=_positive, default=10, metavar="N",
                         help="wasted-file rows in the text report (default: 10)")
    inspect.add_argument("--packages", action="store_true",
                         help="per step, the packages (dpkg, Python) it installed, upgraded or "
                              "removed, with their bytes")
    add_reading_options(inspect)
    inspect.set_defaults(handler=_run_inspect)

    diff = commands.add_parser(
        "diff", help="what changed between two images, and which step made it grow",
        description="Compare two images (any transport on either side): sizes, shared layers, "
                    "the steps side by side, changed files, and wasted bytes.")
    diff.add_argument("image_a", metavar="IMAGE_A", help="the old image (any reference form)")
    diff.add_argument("image_b", metavar="IMAGE_B", help="the new image (any reference form)")
    diff.add_argument("--format", choices=tuple(FORMATS["diff"]), default="text",
                      help="report format (default: text); markdown fits a pull request comment")
    diff.add_argument("--output", "-o", metavar="FILE",
                      help="write the report to FILE instead of stdout")
    diff.add_argument("--top", type=_positive, default=20, metavar="N",
                      help="changed-file rows in text and markdown (default: 20)")
    diff.add_argument("--depth", type=_positive, metavar="D",
                      help="sum changed files by directory, D path components deep")
    diff.add_argument("--path", metavar="GLOB",
                      help="only files whose path matches GLOB (fnmatch, e.g. '/usr/lib/*')")
    diff.add_argument("--exit-code", action="store_true",
                      help="exit 1 when the images differ (different layers), like git diff")
    diff.add_argument("--fail-on-growth", metavar="SIZE|PCT", type=_growth,
                      help="exit 1 when B is larger than A by more than SIZE (50MB) or PCT (10%%)")
    add_reading_options(diff, base=False)
    diff.set_defaults(handler=_run_diff)

    cache = commands.add_parser(
        "cache", help="show, prune or clear the layer-index cache",
        description="Layer indexes are cached by diff ID (layers never change), so a second run "
                    "or a diff of images sharing a base reads only new layers. The cache lives in "
                    "$LAYERSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/layerscope, else "
                    "~/.cache/layerscope.")
    cache.add_argument("action", choices=("info", "prune", "clear"),
                       help="info: location, entries and size; prune: drop least recently used "
                            "entries down to --max-size; clear: drop everything")
    cache.add_argument("--max-size", metavar="SIZE", type=_size, default=None,
                       help="prune down to SIZE (default: the cap, 4GiB)")
    cache.set_defaults(handler=_run_cache)

    if command in (None, "check"):
        _add_check_parser(commands)
    else:
        commands.add_parser("check", help=CHECK_HELP)
    _add_advise_parser(commands)
    _add_fleet_parser(commands)
    return parser


def _add_check_parser(commands) -> None:
    """check's flags come from the budget registry and the settings schema."""
    from .rules.budgets import BUDGETS
    from .rules.budgets.base import GLOBS, IDS
    from .settings import SETTINGS

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
    check.add_argument("--top", type=_positive, default=5, metavar="N",
                       help="contributors listed under each failure (default: 5)")
    add_reading_options(check)
    check.set_defaults(handler=_run_check)


def _add_advise_parser(commands) -> None:
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
    advise.add_argument("--top", type=_positive, default=5, metavar="N",
                        help="paths and packages listed under each finding in text (default: 5)")
    add_reading_options(advise)
    advise.set_defaults(handler=_run_advise)


def _add_fleet_parser(commands) -> None:
    fleet = commands.add_parser(
        "fleet", help="many images into one DuckDB file, each layer read once; the fleet report",
        description="Scan every image a team owns into a DuckDB database (each distinct layer "
                    "indexed once; a repeat scan reads only images whose ID changed) and report "
                    "totals, rankings, shared bases, recurring waste and growth. See docs/fleet.md.")
    actions = fleet.add_subparsers(dest="fleet_action", metavar="ACTION", parser_class=Parser)
    actions.required = True
    scan = actions.add_parser(
        "scan", help="analyse images into the database (exit 0 all read, 3 some unreadable)",
        description="Analyse every image named and store the results in --db. Exit 0 when every "
                    "image was read, 3 when the scan finished but some could not be (each is "
                    "recorded with its error), 2 on an error that stopped the scan.")
    scan.add_argument("refs", metavar="REF", nargs="*",
                      help="image references, in any form inspect accepts")
    scan.add_argument("--from", dest="from_file", metavar="FILE",
                      help="read references from FILE, one a line (# comments; - for stdin)")
    scan.add_argument("--all-local", action="store_true",
                      help="every image of the local engine, by each of its tags")
    scan.add_argument("--registry", metavar="docker://HOST[/PREFIX]",
                      help="every repository (under PREFIX) and tag of a registry's catalog")
    scan.add_argument("--tags", metavar="GLOB", default="*",
                      help="with --registry, only tags matching GLOB (default: *)")
    scan.add_argument("--db", metavar="PATH", required=True, help="the DuckDB file to write")
    scan.add_argument("--jobs", "-j", metavar="N", type=_positive,
                      help="worker processes on this machine (default: one per core)")
    scan.add_argument("--cluster", metavar="tcp://SCHEDULER:8786",
                      help="index on an existing Dask distributed cluster instead")
    for flag, extra in (("--platform", {"metavar": "OS/ARCH[/VARIANT]"}),
                        ("--creds", {"metavar": "USER[:PASSWORD]"}),
                        ("--cert-dir", {"metavar": "DIR"})):
        scan.add_argument(flag, help="as for inspect", **extra)
    scan.add_argument("--tls-verify", metavar="BOOL", type=_bool, nargs="?", const=True,
                      default=True, help="as for inspect")
    scan.add_argument("--no-cache", action="store_true",
                      help="neither read nor write the layer-index cache")
    scan.add_argument("--quiet", "-q", action="store_true", help="nothing on stderr but errors")
    scan.add_argument("--no-progress", action="store_true", help="no progress line")
    scan.set_defaults(handler=_run_fleet_scan)
    report = actions.add_parser(
        "report", help="the fleet report of the latest (or a given) scan",
        description="Totals, images ranked by waste and by own bytes, bases, recurring wasted "
                    "paths, content duplicated across layers, findings by rule, growth.")
    report.add_argument("--db", metavar="PATH", required=True, help="the DuckDB file to read")
    report.add_argument("--format", choices=tuple(FORMATS["fleet"]), default="text",
                        help="report format (default: text)")
    report.add_argument("--output", "-o", metavar="FILE",
                        help="write the report to FILE instead of stdout")
    report.add_argument("--top", type=_positive, default=10, metavar="N",
                        help="rows of each ranking in text, markdown and html (default: 10)")
    report.add_argument("--scan", type=_positive, metavar="ID",
                        help="report this scan (default: the latest finished)")
    report.set_defaults(handler=_run_fleet_report)


def add_reading_options(parser: argparse.ArgumentParser, base: bool = True) -> None:
    """The options every command that reads images shares, with one wording everywhere."""
    from .layers.limits import DEFAULT_MAX_RATIO

    parser.add_argument("--platform", metavar="OS/ARCH[/VARIANT]",
                        help="platform to select from a multi-platform index "
                             "(default: this machine's)")
    if base:
        parser.add_argument("--base", metavar="REF",
                            help="the base image: its layers are the common prefix (default: a "
                                 "heuristic, the last CMD/ENTRYPOINT or import before the "
                                 "image's own steps)")
    parser.add_argument("--quiet", "-q", action="store_true", help="nothing on stderr but errors")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress lines (they only appear on a terminal anyway)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the layer-index cache")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)
    parser.add_argument("--max-ratio", metavar="N", type=_ratio, default=DEFAULT_MAX_RATIO,
                        help="refuse a compressed blob that inflates to more than N times its "
                             f"size, beyond the first 1 GiB (default: {DEFAULT_MAX_RATIO}; "
                             "0: no limit)")
    parser.add_argument("--verify", action="store_true",
                        help="check each layer's sha256 against the config's diff_ids (reads "
                             "every layer again instead of trusting the cache)")
    parser.add_argument("--export", action="store_true",
                        help="read engine images through the engine's export (docker save), "
                             "not from its layer store even where that is readable")
    parser.add_argument("--creds", metavar="USER[:PASSWORD]",
                        help="credentials for docker:// registries (default: "
                             "$LAYERSCOPE_REGISTRY_CREDS, else Docker's config.json and its "
                             "credential helpers, else anonymous)")
    parser.add_argument("--tls-verify", metavar="BOOL", type=_bool, nargs="?", const=True,
                        default=True,
                        help="verify registries' TLS certificates (default: true; "
                             "--tls-verify=false also allows plain HTTP)")
    parser.add_argument("--cert-dir", metavar="DIR",
                        help="trust the CA certificates (*.crt) in DIR for registries, and use "
                             "its client.cert/client.key, as skopeo does")


def _bool(value: str) -> bool:
    """true or false, as skopeo's boolean options take them (--tls-verify=false)."""
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise argparse.ArgumentTypeError(f"{value!r} is not true or false")
    return lowered in ("true", "1", "yes")


def _size(value: str) -> int:
    from .settings import Invalid, parse_size

    try:
        return parse_size(value)
    except Invalid as error:
        raise argparse.ArgumentTypeError(f"{value!r}: {error}") from None


def _options(options_class, args: argparse.Namespace, **extra):
    """The command's options from the parsed arguments: each field from the argument of its
    name (argparse's dest), list values as tuples, `extra` for what needs translating."""
    values = vars(args)
    picked = {}
    for item in dataclasses.fields(options_class):
        if item.name in extra:
            picked[item.name] = extra[item.name]
        elif item.name in values:
            value = values[item.name]
            picked[item.name] = tuple(value) if isinstance(value, list) else value
    return options_class(**picked)


def _run_inspect(args: argparse.Namespace) -> int:
    from .commands import inspect

    return inspect.run(_options(inspect.InspectOptions, args))


def _run_diff(args: argparse.Namespace) -> int:
    from .commands import diff

    return diff.run(_options(diff.DiffOptions, args))


def _run_check(args: argparse.Namespace) -> int:
    from .commands import check

    return check.run(_options(check.CheckOptions, args, budget_flags=_budget_flags(args)))


def _run_advise(args: argparse.Namespace) -> int:
    from .commands import advise

    return advise.run(_options(advise.AdviseOptions, args))


def _run_cache(args: argparse.Namespace) -> int:
    from .commands import cache

    return cache.run(_options(cache.CacheOptions, args))


def _run_fleet_scan(args: argparse.Namespace) -> int:
    from .commands import fleet

    return fleet.run_scan(_options(fleet.FleetScanOptions, args))


def _run_fleet_report(args: argparse.Namespace) -> int:
    from .commands import fleet

    return fleet.run_report(_options(fleet.FleetReportOptions, args))


def _budget_flags(args: argparse.Namespace) -> dict:
    """check's budget and setting keys -> raw command-line value, None when not given."""
    from .rules.budgets import BUDGETS
    from .rules.budgets.base import IDS
    from .settings import SETTINGS

    values = {}
    for name in (*BUDGETS, *SETTINGS):
        value = getattr(args, name.replace("-", "_"))
        if value is not None and name in BUDGETS and BUDGETS[name].kind == IDS:
            value = [part for item in value for part in item.split(",")]
        values[name] = value
    return values
