"""A digest of layerscope's own code, for cached results that depend on it."""

from __future__ import annotations

import os

import xxhash

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def code_fingerprint() -> str:
    """Every source file of the package by path, size and modification time (half a
    millisecond): an edited rule or a new release never serves a result of the old code."""
    digest = xxhash.xxh3_128()
    for directory, subdirectories, names in os.walk(_PACKAGE):
        subdirectories.sort()
        for name in sorted(names):
            if name.endswith(".py"):
                info = os.stat(os.path.join(directory, name))
                digest.update(f"{directory}/{name}:{info.st_size}:{info.st_mtime_ns};".encode())
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
