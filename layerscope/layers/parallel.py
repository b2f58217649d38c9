"""Index several layers at once in worker processes, when the layers lie in files.

The tar reader is pure Python, so threads would share one core; processes use them all. Each
worker opens the file itself and reads its layer by offset, so nothing but the finished index
travels back, in the cache's compact encoding. Used only where it pays: two or more layers to
read, enough bytes, and more than one core.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from ..errors import LayerReadError, LayerscopeError
from .blob import IndexedBlob

MIN_PARALLEL_BYTES = 64 << 20
"""Below this much layer data the cost of starting workers outweighs the gain."""


@dataclass(frozen=True, slots=True)
class FileRegion:
    """Where one layer blob lies: a whole file, or a member of an uncompressed archive."""

    path: str
    """The file to open."""
    offset: int
    """Where the blob starts in it."""
    size: int
    """How many bytes the blob has."""


class _Region:
    """read()/readinto() over one region of a file."""

    def __init__(self, handle, offset: int, size: int) -> None:
        self._handle = handle
        self._position = offset
        self._end = offset + size

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > self._end - self._position:
            size = self._end - self._position
        self._handle.seek(self._position)
        data = self._handle.read(size)
        self._position += len(data)
        return data

    def readinto(self, view) -> int:
        size = min(len(view), self._end - self._position)
        if size <= 0:
            return 0
        self._handle.seek(self._position)
        count = self._handle.readinto(view[:size]) or 0
        self._position += count
        return count


def index_region(region: FileRegion) -> IndexedBlob:
    """Index the layer blob in a file region (in this process)."""
    from .blob import index_blob

    with open(region.path, "rb") as handle:
        return index_blob(_Region(handle, region.offset, region.size), region.size)


def _work(region: FileRegion) -> tuple[bool, object]:
    """Worker side: (True, encoded index) or (False, (error class name, message, hint))."""
    from .cache import encode_blob

    try:
        return True, encode_blob(index_region(region))
    except LayerscopeError as error:
        return False, (type(error).__name__, error.message, error.hint)


LARGEST_SHARE = 0.6
"""When one layer holds more than this share of the bytes, it alone sets the time: stay serial."""


def worth_parallel(regions: list[FileRegion]) -> bool:
    """Two or more layers, enough bytes, no single layer dominating, and cores to run on."""
    total = sum(r.size for r in regions)
    return (len(regions) >= 2 and total >= MIN_PARALLEL_BYTES
            and max(r.size for r in regions) <= LARGEST_SHARE * total
            and (os.cpu_count() or 1) > 1)


def index_regions(regions: dict[str, FileRegion]) -> dict[str, IndexedBlob]:
    """Index every region, largest first, on as many processes as there are cores."""
    from .cache import decode_blob

    order = sorted(regions, key=lambda name: -regions[name].size)
    workers = min(len(order), os.cpu_count() or 1)
    results: dict[str, IndexedBlob] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(_work, regions[name]) for name in order}
        for name in order:
            ok, payload = futures[name].result()
            if not ok:
                _, message, hint = payload
                raise LayerReadError(message, hint)
            results[name] = decode_blob(payload)
    return results
