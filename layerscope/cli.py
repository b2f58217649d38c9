"""Argument parsing and wiring: source -> analysis -> format. Nothing here prints errors."""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
import sys
import tempfile

from . import __version__
from .errors import FormatError, LayerscopeError, UsageError
from .formats.base import FORMATS
from .output import stdout_encoding, write_stdout


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing, so __main__ stays the one error boundary."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
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
    from .config import Invalid, parse_growth

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
    inspect.set_defaults(handler=run_inspect)

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
    diff.set_defaults(handler=run_diff)

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
    cache.set_defaults(handler=run_cache)

    if command in (None, "check"):
        from .cli_check import add_check_parser

        add_check_parser(commands, _positive)
    else:
        commands.add_parser("check", help=CHECK_HELP)
    from .cli_advise import add_advise_parser  # the advise rules come from their registry

    add_advise_parser(commands, _positive)
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
    """Write to stdout, or to FILE: a regular file is replaced atomically (keeping its mode) so
    no half-written report is ever left; a device or pipe is written into."""
    if output is None:
        write_stdout(stdout_bytes(text))
        return
    data = _encode(text, "utf-8")
    try:
        existing = os.stat(output)
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise FormatError(f"cannot write {output}: {error.strerror or error}") from error
    try:
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            # a device, a pipe, /dev/stdout: nothing to replace, and renaming over it would
            # swap /dev/null itself for a file; write into it
            with open(output, "wb") as stream:
                stream.write(data)
            return
        handle, temporary = tempfile.mkstemp(prefix=".layerscope-", dir=os.path.dirname(
            os.path.abspath(output)))
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.chmod(temporary, stat.S_IMODE(existing.st_mode) if existing else _new_file_mode())
            os.replace(temporary, output)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as error:
        raise FormatError(f"cannot write {output}: {error.strerror or error}") from error


def stdout_bytes(text: str) -> bytes:
    """The bytes write_report puts on stdout for text."""
    return _encode(text, stdout_encoding())


def _new_file_mode() -> int:
    """What open() would give a new file: 0666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _encode(text: str, encoding: str) -> bytes:
    """Report text as bytes. Names that were not UTF-8 in the image (kept as surrogate escapes)
    go out as their original bytes, as ls prints them; any other unencodable character (a lone
    surrogate from a config's JSON) as a backslash escape, never as a crash."""
    try:
        return text.encode(encoding, "surrogateescape")
    except UnicodeEncodeError:
        return text.encode(encoding, "backslashreplace")


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


def layer_cache(args: argparse.Namespace, compared: bool = False):
    """The cache for this run: persistent unless --no-cache, not trusted with --verify;
    `compared` when the run compares files across images (diff), so every hash is needed.

    Also puts this run's read limits (--max-ratio, --verify) in force."""
    from .layers.cache import CacheStore
    from .layers.limits import DEFAULT_MAX_RATIO, ReadLimits, set_limits

    verify = getattr(args, "verify", False)
    set_limits(ReadLimits(max_ratio=getattr(args, "max_ratio", DEFAULT_MAX_RATIO), verify=verify))
    return CacheStore(persistent=not getattr(args, "no_cache", False), reuse=not verify,
                      complete=compared)


def _size(value: str) -> int:
    from .config import Invalid, parse_size

    try:
        return parse_size(value)
    except Invalid as error:
        raise argparse.ArgumentTypeError(f"{value!r}: {error}") from None


def run_cache(args: argparse.Namespace) -> int:
    """cache info|prune|clear."""
    from .formats.units import size
    from .layers.cache import CacheStore

    cache = CacheStore()
    if args.action == "info":
        stats = cache.stats()
        write_report(f"directory   {stats.directory}\n"
                     f"layers      {stats.layer_entries}\n"
                     f"configs     {stats.config_entries}\n"
                     f"size        {size(stats.total_bytes)} ({stats.total_bytes:,} bytes)\n"
                     f"cap         {size(stats.limit_bytes)}\n", None)
        return 0
    freed = cache.clear() if args.action == "clear" else cache.prune(
        cache.limit if args.max_size is None else args.max_size)
    write_report(f"freed {size(freed)} ({freed:,} bytes)\n", None)
    return 0


def _progress_for(args: argparse.Namespace) -> TerminalProgress | None:
    show = sys.stderr.isatty() and not (args.quiet or args.no_progress)
    return TerminalProgress() if show else None


def run_inspect(args: argparse.Namespace) -> int:
    """inspect: read, analyse, run the advice rules, render; a repeat run is served from the
    report cache when the image, base, options and code are the same."""
    from .formats.base import RenderOptions, formatter
    from .sources.base import layer_digests
    from .sources.reference import open_source

    progress = _progress_for(args)
    cache = layer_cache(args)
    try:
        source = open_source(args.image, args.platform)
        base = None
        if args.base:
            base = layer_digests(open_source(args.base, args.platform), progress)
        report = _inspect_report(source, base, args, cache, progress)
    finally:
        if progress:
            progress.clear()
    text = formatter("inspect", args.format)(report, RenderOptions(top=args.top))
    write_report(text, args.output)
    key = getattr(args, "replay_key", None)
    if key is not None:
        from . import replay

        cache.store_file(f"{replay.DIRECTORY}/{key}", replay.entry(stdout_bytes(text)))
    return 0


def _inspect_report(source, base, args: argparse.Namespace, cache, progress):
    from .analysis import report_memo
    from .analysis.image_report import analyze
    from .cli_advise import with_findings
    from .sources.base import Identifiable

    key = None
    if cache.persistent and isinstance(source, Identifiable):
        image_id = source.identity()
        if image_id is not None:
            key = report_memo.report_key(image_id, base, ("inspect", args.image, bool(args.packages)))
            payload = cache.report(key)
            report = report_memo.loads(payload) if payload is not None else None
            if report is not None:
                return report
    report = with_findings(analyze(source.read(progress, cache), base), args.packages)
    if key is not None:
        cache.store_report(key, report_memo.dumps(report))
    return report


def _read_both(reference_a: str, reference_b: str, platform: str | None, progress, cache):
    """Read both images, streaming shared layers once; errors say which side failed."""
    from .sources.engine import EngineSource, read_engine_images
    from .sources.reference import open_source

    sides = []
    for label, reference in (("IMAGE_A", reference_a), ("IMAGE_B", reference_b)):
        try:
            sides.append(open_source(reference, platform))
        except LayerscopeError as error:
            raise type(error)(f"{label} ({reference}): {error.message}", error.hint) from error
    if all(isinstance(side, EngineSource) for side in sides):
        return read_engine_images(sides, progress, cache, labels=["IMAGE_A", "IMAGE_B"])
    images = []
    for label, side in zip(("IMAGE_A", "IMAGE_B"), sides):
        try:
            images.append(side.read(progress, cache))
        except LayerscopeError as error:
            raise type(error)(f"{label} ({side.describe()}): {error.message}", error.hint) from error
    return images


def run_diff(args: argparse.Namespace) -> int:
    """diff: read both, analyse both, compare, render; exit 1 on --exit-code/--fail-on-growth."""
    from .analysis.diff import diff_images
    from .analysis.image_report import analyze
    from .formats.base import RenderOptions, formatter

    progress = _progress_for(args)
    try:
        image_a, image_b = _read_both(args.image_a, args.image_b, args.platform, progress,
                                      layer_cache(args, compared=True))
    finally:
        if progress:
            progress.clear()
    report = diff_images(analyze(image_a), analyze(image_b), args.path)
    text = formatter("diff", args.format)(report, RenderOptions(top=args.top, depth=args.depth))
    write_report(text, args.output)
    if args.exit_code and not report.identical:
        return 1
    if args.fail_on_growth is not None and args.fail_on_growth.exceeded(
            report.size_delta, report.a.size):
        return 1
    return 0
