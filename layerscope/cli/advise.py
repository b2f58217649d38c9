"""`layerscope advise`'s arguments and dispatch."""

from __future__ import annotations

import argparse

from ..formats.base import FORMATS
from .arguments import add_reading_options, options, positive, stdout

NAME = "advise"
HELP = "the Dockerfile refactorings, each with the bytes it would save"
"""The one-line help `layerscope --help` lists."""


def add(commands) -> None:
    advise = commands.add_parser(
        NAME, help=HELP,
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
    advise.add_argument("--check-patch", action="store_true",
                        help="build the patched Dockerfile on the engine (with BuildKit when the "
                             "patch needs it) and report its real saving (the image is removed)")
    advise.add_argument("--context", metavar="DIR",
                        help="--check-patch's build context (default: the Dockerfile's directory)")
    advise.add_argument("--build-arg", metavar="NAME=VALUE", action="append", default=[],
                        help="--check-patch's build arguments (repeatable), as docker build's")
    advise.add_argument("--network", metavar="MODE",
                        help="--check-patch's build network, as docker build --network")
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
                        help="write the report (or the patch) to FILE instead of stdout ('-': stdout)")
    advise.add_argument("--top", type=positive, default=5, metavar="N",
                        help="paths and packages listed under each finding in text (default: 5)")
    add_reading_options(advise)
    advise.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..commands import advise

    return advise.run(options(advise.AdviseOptions, args, output=stdout(args.output)))
