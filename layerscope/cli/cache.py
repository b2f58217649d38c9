"""`layerscope cache`'s arguments and dispatch."""

from __future__ import annotations

import argparse

from .arguments import options, size

NAME = "cache"
HELP = "show, prune or clear the layer-index cache"
"""The one-line help `layerscope --help` lists."""


def add(commands) -> None:
    cache = commands.add_parser(
        NAME, help=HELP,
        description="Layer indexes are cached by diff ID (layers never change), so a second run "
                    "or a diff of images sharing a base reads only new layers. The cache lives in "
                    "$LAYERSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/layerscope, else "
                    "~/.cache/layerscope.")
    cache.add_argument("action", choices=("info", "prune", "clear"),
                       help="info: location, entries and size; prune: drop least recently used "
                            "entries down to --max-size; clear: drop everything")
    cache.add_argument("--max-size", metavar="SIZE", type=size, default=None,
                       help="prune down to SIZE (default: the cap, 4GiB)")
    cache.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..commands import cache

    return cache.run(options(cache.CacheOptions, args))
