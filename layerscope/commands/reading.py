"""What every command that reads images shares: its reading options, the cache and read limits
they ask for, the progress line, and reading an image with its --base."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

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
    export: bool = False
    """Read engine images through the engine's export, never from its layer store."""
    debug: bool = False
    """Say on stderr why a faster read path was not taken (--debug)."""
    creds: str | None = field(default=None, repr=False)
    """USER[:PASSWORD] for docker:// registries (--creds); None: the environment, then
    Docker's config.json."""
    tls_verify: bool = True
    """Verify registries' TLS certificates (--tls-verify=false turns it off)."""
    cert_dir: str | None = None
    """Directory of CA certificates (*.crt) and a client certificate for registries."""


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
    """(the cache, how to read) for this run: the cache is persistent unless --no-cache and not
    trusted with --verify; reads are limited by --max-ratio and checked with --verify; --export
    keeps engine images off the layer store, and --debug is told why one was not read from it. Every
    file is hashed when the indexes outlive the run (the cache keeps them) or when `compared`
    (the run compares files across images, as diff does); otherwise an archive may skip large
    files unread."""
    from ..analysis.packages import PACKAGE_DATABASES
    from ..layers.cache import CacheStore
    from ..layers.limits import ReadOptions

    cache = CacheStore(persistent=not options.no_cache, reuse=not options.verify,
                       capture=PACKAGE_DATABASES)
    return cache, ReadOptions(max_ratio=options.max_ratio, verify=options.verify,
                              capture=PACKAGE_DATABASES, hash_every_file=compared or cache.persistent,
                              export=options.export, debug=debug_line if options.debug else None)


def debug_line(message: str) -> None:
    """One --debug line on stderr: why the run read an image the way it did."""
    sys.stderr.write(f"layerscope: debug: {message}\n")
    sys.stderr.flush()


def registry_access(options: ReadingOptions):
    """How to reach docker:// registries (urllib3 is imported only when one is read)."""
    from ..sources.registry_access import RegistryAccess

    return RegistryAccess(options.creds, options.tls_verify, options.cert_dir)


def source_for(reference: str, options: ReadingOptions):
    """The source of a reference, told the platform and how to reach a registry."""
    from ..sources.reference import open_source

    return open_source(reference, options.platform, registry_access(options))


def base_digests(options: ReadingOptions, progress, reading):
    """The --base image's layer digests, or None when no --base was given."""
    if not options.base:
        return None
    from ..sources.base import layer_digests

    return layer_digests(source_for(options.base, options), progress, reading)


def read_image(reference: str, options: ReadingOptions, progress, cache, reading):
    """One image, every layer indexed as `reading` says (from the cache where it can)."""
    return source_for(reference, options).read(progress, cache, reading)


def read_merged(source, progress, cache, reading):
    """(the image `source` reads, its layers merged while they were read, or None): a source
    that finishes layers one by one in order (the layer stores) hands each to the merge, which
    stacks it while the next are read (analysis.streamed_merge); analyze merges the others."""
    from ..analysis.streamed_merge import StreamedMerge

    merging = StreamedMerge()
    image = source.read(progress, cache, replace(reading, layer_sink=merging))
    return image, merging.result(image)
