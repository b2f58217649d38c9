"""`layerscope diff`'s arguments and dispatch."""

from __future__ import annotations

import argparse

from ..formats.base import FORMATS
from .arguments import add_reading_options, growth, options, positive

NAME = "diff"
HELP = "what changed between two images, and which step made it grow"
"""The one-line help `layerscope --help` lists."""


def add(commands) -> None:
    diff = commands.add_parser(
        NAME, help=HELP,
        description="Compare two images (any transport on either side): sizes, shared layers, "
                    "the steps side by side, changed files, and wasted bytes.")
    diff.add_argument("image_a", metavar="IMAGE_A", help="the old image (any reference form)")
    diff.add_argument("image_b", metavar="IMAGE_B", help="the new image (any reference form)")
    diff.add_argument("--format", choices=tuple(FORMATS["diff"]),
                      help="report format (default: text, or html for -o FILE.html); markdown "
                           "fits a pull request comment")
    diff.add_argument("--output", "-o", metavar="FILE|FORMAT=FILE", action="append",
                      help="write the report to FILE instead of stdout ('-': stdout), or "
                           "(repeatable) also write FORMAT to FILE, e.g. -o html=diff.html")
    diff.add_argument("--top", type=positive, default=20, metavar="N",
                      help="changed-file rows in text and markdown (default: 20)")
    diff.add_argument("--depth", type=positive, metavar="D",
                      help="sum changed files by directory, D path components deep")
    diff.add_argument("--path", metavar="GLOB",
                      help="only changed files and waste at paths GLOB covers ('*' stays in one "
                           "directory, '**' crosses them, a directory covers what is under it; "
                           "docs/globs.md), e.g. '/usr/lib/**/*.so.*'")
    diff.add_argument("--no-trunc", action="store_true",
                      help="cut no instruction or path in text (as docker history --no-trunc)")
    diff.add_argument("--exit-code", action="store_true",
                      help="exit 1 when the images differ (different layers), like git diff")
    diff.add_argument("--fail-on-growth", metavar="SIZE|PCT", type=growth,
                      help="exit 1 when B is larger than A by more than SIZE (50MB) or PCT (10%%)")
    add_reading_options(diff, base=False)
    diff.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..commands import diff

    return diff.run(options(diff.DiffOptions, args))
