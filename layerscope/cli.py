"""Argument parsing and wiring: source -> analysis -> format. Nothing here prints errors."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from . import __version__
from .errors import FormatError, UsageError
from .formats.base import FORMATS


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing, so __main__ stays the one error boundary."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        raise UsageError(message, hint=f"see `{self.prog} --help`")


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return number


def build_parser() -> Parser:
    """The command line, documented in README.md (kept in step with a test)."""
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
    inspect.add_argument("--platform", metavar="OS/ARCH[/VARIANT]",
                         help="platform to select from a multi-platform index "
                              "(default: this machine's)")
    inspect.add_argument("--base", metavar="REF",
                         help="the base image: its layers are the common prefix (default: a "
                              "heuristic, the last CMD/ENTRYPOINT before the image's own steps)")
    inspect.add_argument("--top", type=_positive, default=10, metavar="N",
                         help="wasted-file rows in the text report (default: 10)")
    inspect.add_argument("--quiet", "-q", action="store_true",
                         help="nothing on stderr but errors")
    inspect.add_argument("--no-progress", action="store_true",
                         help="no progress lines (they only appear on a terminal anyway)")
    inspect.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help=argparse.SUPPRESS)
    inspect.set_defaults(handler=run_inspect)
    return parser


class TerminalProgress:
    """One self-overwriting status line on stderr."""

    def __init__(self) -> None:
        self._width = 0

    def __call__(self, message: str) -> None:
        line = message[:100]
        sys.stderr.write("\r" + line.ljust(self._width))
        sys.stderr.flush()
        self._width = len(line)

    def clear(self) -> None:
        if self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            sys.stderr.flush()


def write_report(text: str, output: str | None) -> None:
    """Write to stdout, or replace FILE atomically so no half-written report is ever left."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    directory = os.path.dirname(os.path.abspath(output))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".layerscope-", dir=directory)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, output)
    except OSError as error:
        raise FormatError(f"cannot write {output}: {error.strerror or error}") from error


def run_inspect(args: argparse.Namespace) -> int:
    """inspect: read, analyse, render."""
    from .analysis.inspect import inspect_image
    from .formats.base import RenderOptions, formatter
    from .sources.base import layer_digests
    from .sources.reference import open_source

    show_progress = sys.stderr.isatty() and not (args.quiet or args.no_progress)
    progress = TerminalProgress() if show_progress else None
    try:
        image = open_source(args.image, args.platform).read(progress)
        base = None
        if args.base:
            base = layer_digests(open_source(args.base, args.platform), progress)
    finally:
        if progress:
            progress.clear()
    report = inspect_image(image, base)
    text = formatter("inspect", args.format)(report, RenderOptions(top=args.top))
    write_report(text, args.output)
    return 0
