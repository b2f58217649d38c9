"""`layerscope inspect`'s arguments and dispatch."""

from __future__ import annotations

import argparse

from ..formats.base import FORMATS
from .arguments import add_reading_options, options, positive, whole_number

NAME = "inspect"
HELP = "per-instruction sizes, wasted files and the headline figures"
"""The one-line help `layerscope --help` lists."""


def add(commands) -> None:
    inspect = commands.add_parser(
        NAME, help=HELP,
        description="Show how many bytes each Dockerfile instruction added, and which files one "
                    "step wrote and a later step removed or replaced (wasted bytes).")
    inspect.add_argument("image", metavar="IMAGE",
                         help="name:tag or ID in the local engine, docker-daemon:NAME, "
                              "docker-archive:PATH, a .tar from docker save, oci:DIR[:REF], "
                              "oci-archive:PATH[:REF], dir:PATH, containers-storage:NAME, "
                              "docker://REPO[:TAG]")
    inspect.add_argument("--format", choices=tuple(FORMATS["inspect"]),
                         help="report format (default: text, or html for -o FILE.html)")
    inspect.add_argument("--output", "-o", metavar="FILE|FORMAT=FILE", action="append",
                         help="write the report to FILE instead of stdout ('-': stdout), or "
                              "(repeatable) also write FORMAT to FILE, e.g. -o html=report.html")
    inspect.add_argument("--top", type=positive, default=10, metavar="N",
                         help="wasted groups in the text report, and files under each with "
                              "--expand (default: 10)")
    inspect.add_argument("--path", metavar="GLOB",
                         help="list only the wasted files at paths GLOB covers (the glob of "
                              "diff --path and check --forbid-paths; docs/globs.md)")
    inspect.add_argument("--packages", action="store_true",
                         help="per step, the packages (dpkg, Python) it installed, upgraded or "
                              "removed, with their bytes")
    _add_view_options(inspect)
    add_reading_options(inspect)
    inspect.set_defaults(handler=run)


def _add_view_options(inspect: argparse.ArgumentParser) -> None:
    """How inspect's text shows the report: width, columns, the files of one step."""
    inspect.add_argument("--no-trunc", action="store_true",
                         help="cut no instruction or path (as docker history --no-trunc); "
                              "lines grow past the terminal's width")
    inspect.add_argument("--wide", action="store_true",
                         help="every column of the steps table (New, Rewrote, Removed below, "
                              "Replaced below), even past the terminal's width")
    inspect.add_argument("--expand", action="store_true",
                         help="list the files of each wasted group under it (--top of them)")
    inspect.add_argument("--files", metavar="STEP",
                         type=whole_number(0, "is not a step: steps count from 0"),
                         help="the files of one step (its # in the steps table) as a tree, "
                              "each marked added, changed, metadata-only or removed, as dive "
                              "shows a layer")
    inspect.add_argument("--sort", choices=("size", "path"), default="size",
                         help="order of --files' tree: largest first (default) or by path")
    inspect.add_argument("--dockerfile", metavar="PATH",
                         help="the Dockerfile the image was built from: each step shows the "
                              "line that made it, findings carry theirs, and the HTML report "
                              "shows the patch of the mechanical fixes (as advise --patch "
                              "prints it)")


def run(args: argparse.Namespace) -> int:
    from ..commands import inspect

    return inspect.run(options(inspect.InspectOptions, args))
