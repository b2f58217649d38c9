"""`layerscope explore`'s arguments and dispatch."""

from __future__ import annotations

import argparse

from .arguments import add_reading_options, options

NAME = "explore"
HELP = "browse an image's steps, files and waste in the terminal"
"""The one-line help `layerscope --help` lists."""


def add(commands) -> None:
    explore = commands.add_parser(
        NAME, help=HELP,
        description="A full-screen terminal app: the steps with their sizes, each step's files "
                    "(its changes, or the filesystem after it), the wasted bytes grouped as "
                    "inspect groups them, and the findings; with IMAGE_B, the files that "
                    "differ from IMAGE to IMAGE_B by directory. Press ? in it for the keys. "
                    "Needs a terminal (use inspect or diff for a report).")
    explore.add_argument("image", metavar="IMAGE", help="the image to explore (any reference form)")
    explore.add_argument("image_b", metavar="IMAGE_B", nargs="?",
                         help="a second image: browse the changed files from IMAGE to it")
    add_reading_options(explore)
    explore.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..commands import explore

    return explore.run(options(explore.ExploreOptions, args))
