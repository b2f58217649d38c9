"""What every command that reads images shares: its reading options, the cache and read limits
they ask for, the progress line, and reading an image with its --base."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..layers.limits import DEFAULT_MAX_RATIO


@dataclass(frozen=True, kw_only=True)
class ReadingOptions:
    """The options shared by inspect, diff, check and advise (see cli.add_reading_options)."""

    platform: str | None = None
    """OS/ARCH[/VARIANT] to select from a multi-platform index; None: this machine's."""
    base: str | None = None
    """Reference of the base image (--base), or None for the heuristic."""
    quiet: bool = False
    """Nothing on stderr but errors."""
    no_progress: bool = False
    """No progress line even on a terminal."""
    no_cache: bool = False
    """Neither read nor write the cache."""
    max_ratio: int = DEFAULT_MAX_RATIO
    """Most uncompressed bytes per compressed byte beyond the floor (0: no limit)."""
    verify: bool = False
    """Check each layer's sha256 against the config's diff_ids."""


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


@contextmanager
def progress_for(options: ReadingOptions) -> Iterator[TerminalProgress | None]:
    """A progress line on stderr while reading, when stderr is a terminal and not silenced;
    cleared before the report is written."""
    show = sys.stderr.isatty() and not (options.quiet or options.no_progress)
    progress = TerminalProgress() if show else None
    try:
        yield progress
    finally:
        if progress:
            progress.clear()


def reading_for(options: ReadingOptions, compared: bool = False):
    """The cache for this run: persistent unless --no-cache, not trusted with --verify;
    `compared` when the run compares files across images (diff), so every hash is needed.

    Also puts this run's read limits (--max-ratio, --verify) in force."""
    from ..layers.cache import CacheStore
    from ..layers.limits import ReadLimits, set_limits

    set_limits(ReadLimits(max_ratio=options.max_ratio, verify=options.verify))
    return CacheStore(persistent=not options.no_cache, reuse=not options.verify,
                      complete=compared)


def base_digests(options: ReadingOptions, progress):
    """The --base image's layer digests, or None when no --base was given."""
    if not options.base:
        return None
    from ..sources.base import layer_digests
    from ..sources.reference import open_source

    return layer_digests(open_source(options.base, options.platform), progress)


def read_image(reference: str, options: ReadingOptions, progress, cache):
    """One image, every layer indexed (from the cache where it can)."""
    from ..sources.reference import open_source

    return open_source(reference, options.platform).read(progress, cache)
