"""`layerscope fleet scan|report`'s arguments and dispatch."""

from __future__ import annotations

import argparse

from ..formats.base import FORMATS
from .arguments import boolean, options, positive

NAME = "fleet"
HELP = "many images into one DuckDB file, each layer read once; the fleet report"
"""The one-line help `layerscope --help` lists."""


def add(commands) -> None:
    fleet = commands.add_parser(
        NAME, help=HELP,
        description="Scan every image a team owns into a DuckDB database (each distinct layer "
                    "indexed once; a repeat scan reads only images whose ID changed) and report "
                    "totals, rankings, shared bases, recurring waste and growth. See docs/fleet.md.")
    # the package's Parser, which add_parser made: raises instead of printing
    actions = fleet.add_subparsers(dest="fleet_action", metavar="ACTION",
                                   parser_class=type(fleet))
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
    scan.add_argument("--jobs", "-j", metavar="N", type=positive,
                      help="worker processes on this machine (default: one per core)")
    scan.add_argument("--cluster", metavar="tcp://SCHEDULER:8786",
                      help="index on an existing Dask distributed cluster instead")
    for flag, extra in (("--platform", {"metavar": "OS/ARCH[/VARIANT]"}),
                        ("--creds", {"metavar": "USER[:PASSWORD]"}),
                        ("--cert-dir", {"metavar": "DIR"})):
        scan.add_argument(flag, help="as for inspect", **extra)
    scan.add_argument("--tls-verify", metavar="BOOL", type=boolean, nargs="?", const=True,
                      default=True, help="as for inspect")
    scan.add_argument("--no-cache", action="store_true",
                      help="neither read nor write the layer-index cache")
    scan.add_argument("--quiet", "-q", action="store_true", help="nothing on stderr but errors")
    scan.add_argument("--no-progress", action="store_true", help="no progress line")
    scan.set_defaults(handler=run_scan)
    report = actions.add_parser(
        "report", help="the fleet report of the latest (or a given) scan",
        description="Totals, images ranked by waste and by own bytes, bases, recurring wasted "
                    "paths, content duplicated across layers, findings by rule, growth.")
    report.add_argument("--db", metavar="PATH", required=True, help="the DuckDB file to read")
    report.add_argument("--format", choices=tuple(FORMATS["fleet"]), default="text",
                        help="report format (default: text)")
    report.add_argument("--output", "-o", metavar="FILE",
                        help="write the report to FILE instead of stdout")
    report.add_argument("--top", type=positive, default=10, metavar="N",
                        help="rows of each ranking in text, markdown and html (default: 10)")
    report.add_argument("--scan", type=positive, metavar="ID",
                        help="report this scan (default: the latest finished)")
    report.set_defaults(handler=run_report)


def run_scan(args: argparse.Namespace) -> int:
    from ..commands import fleet

    return fleet.run_scan(options(fleet.FleetScanOptions, args))


def run_report(args: argparse.Namespace) -> int:
    from ..commands import fleet

    return fleet.run_report(options(fleet.FleetReportOptions, args))
