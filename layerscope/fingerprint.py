"""Digests of the code that results depend on: layerscope's own, the libraries that shape its
output and the Python running it (for finished reports and replayed outputs), and a chosen set
of modules (for layer indexes, which only the reader's code shapes)."""

from __future__ import annotations

import os
import sys

import xxhash

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
SHAPING_LIBRARIES = frozenset({"humanize", "tabulate", "wcwidth"})
"""Libraries whose version changes what a report prints: humanize writes the sizes, tabulate
the text and markdown tables, and wcwidth, when installed, is how tabulate measures widths."""


def code_fingerprint() -> str:
    """Every source file of the package by path, size and modification time, the installed
    versions of the shaping libraries and the Python version (about a millisecond): an edited
    rule, a new release or an upgraded library never serves a result of the old code."""
    digest = xxhash.xxh3_128()
    for directory, subdirectories, names in os.walk(_PACKAGE):
        subdirectories.sort()
        for name in sorted(names):
            if name.endswith(".py"):
                info = os.stat(os.path.join(directory, name))
                digest.update(f"{directory}/{name}:{info.st_size}:{info.st_mtime_ns};".encode())
    digest.update(f"{sys.version};{sys.implementation.cache_tag};".encode())
    for installed in library_versions(SHAPING_LIBRARIES):
        digest.update(f"{installed};".encode())
    return digest.hexdigest()


def library_versions(libraries: frozenset[str], path: list[str] | None = None) -> list[str]:
    """Each installed distribution of `libraries` on the import path, as its metadata
    directory (name and version) with that directory's modification time: a reinstall of the
    same version counts as a change too. A library that is absent is simply not listed.

    Read from the directory names: importlib.metadata alone takes longer to import than a
    replayed run takes in all."""
    found = []
    for entry in sys.path if path is None else path:
        try:
            names = os.listdir(entry) if entry else ()  # "": the working directory, not code
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                project = name.partition("-")[0].partition(".")[0].lower().replace("_", "-")
                if project in libraries:
                    try:
                        changed = os.stat(os.path.join(entry, name)).st_mtime_ns
                    except OSError:
                        continue
                    found.append(f"{entry}/{name}:{changed}")
    return sorted(found)


def modules_fingerprint(paths: list[str] | tuple[str, ...], extra: str = "") -> str:
    """The contents of the given source files (and `extra`) with the Python version: unlike
    code_fingerprint, a reinstall of unchanged files keeps it, because what it keys (layer
    indexes) is slow to rebuild."""
    digest = xxhash.xxh3_128()
    for path in paths:
        with open(path, "rb") as stream:
            digest.update(stream.read())
        digest.update(f"\0{os.path.basename(path)}\0".encode())
    digest.update(f"{sys.version_info[:3]};{extra}".encode())
    return digest.hexdigest()


class RunFingerprint:
    """The fingerprint for one run: computed when first asked for, then kept. A run may ask
    twice (the replay key, then the report key) and most runs never ask; functools' cache
    would cost a replayed run more to import than the walk itself."""

    def __init__(self) -> None:
        self._value: str | None = None

    def __call__(self) -> str:
        if self._value is None:
            self._value = code_fingerprint()
        return self._value
