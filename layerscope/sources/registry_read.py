"""Fetching the layers of one or several registry images: each blob that the cache lacks
indexed once, a few at a time, the largest first; and several images read in one pass
(ReadsTogether), so a diff's two images share their layer fetches."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager

from ..errors import LayerscopeError
from ..layers.blob import IndexedBlob
from ..layers.cache import CacheStore
from ..layers.limits import ReadOptions
from ..model import Image
from .base import LayerDescriptor, Progress
from .toc_source import TocCache

PARALLEL = 3
"""Layers fetched at once: enough to keep a link busy while one is being indexed (each
layer's download and sha256 run on a thread of their own, registry_blob)."""


@contextmanager
def named(where: str | None) -> Iterator[None]:
    """An error raised inside led by `where` (the side of a diff it came from), if given."""
    try:
        yield
    except LayerscopeError as error:
        if where is None:
            raise
        raise error.prefixed(where) from error


def _index(source, layer: LayerDescriptor, options: ReadOptions, abort: threading.Event,
           where: str | None) -> IndexedBlob:
    with named(where):
        return source.index_layer(layer, options, abort)


def prefetch(jobs: list, options: ReadOptions, progress: Progress | None,
             where: dict[str, str | None] | None = None) -> dict[str, IndexedBlob]:
    """Each (source, layer) job's layer indexed by its source, PARALLEL at a time, the largest
    first (the longest fetch starts at once, the small ones fill the gaps), by blob digest.
    The first failure stops the others at their next read and is raised, led by
    where[digest] when given."""
    if not jobs:
        return {}
    jobs = sorted(jobs, key=lambda job: -job[1].size)
    where = where or {}
    done: dict[str, IndexedBlob] = {}
    abort = threading.Event()
    with ThreadPoolExecutor(min(PARALLEL, len(jobs))) as workers:
        futures = {workers.submit(_index, source, layer, options, abort,
                                  where.get(layer.digest)): layer.digest
                   for source, layer in jobs}
        try:
            for count, future in enumerate(as_completed(futures), 1):
                done[futures[future]] = future.result()
                if progress:
                    progress(f"fetched layer {count}/{len(futures)}: {futures[future][:19]}")
        except BaseException:
            abort.set()  # the others stop at their next read instead of downloading on
            for future in futures:
                future.cancel()
            raise
    return done


def read_registry_images(sources: list, progress: Progress | None = None,
                         cache: CacheStore | None = None, labels: list[str] | None = None,
                         options: ReadOptions | None = None) -> list[Image]:
    """Registry images read in one pass: every manifest and config first, then each layer
    blob any of them names that the cache lacks, fetched once (by the first image naming it)
    in one pool, then each image assembled and made comparable with the others. `labels` name
    the sides in errors ("IMAGE_A (docker://...): ...")."""
    options = ReadOptions() if options is None else options
    cache = TocCache(CacheStore(persistent=False) if cache is None else cache)
    sides = [f"{labels[n]} ({source.describe()})" if labels else None
             for n, source in enumerate(sources)]
    try:
        jobs, owner = [], {}
        for side, source in zip(sides, sources):
            with named(side):
                wanted = source.begin_read(cache, options)
            for digest, layer in wanted.items():
                if digest not in owner:
                    owner[digest] = side
                    jobs.append((source, layer))
        fetched = prefetch(jobs, options, progress, owner)
        images = []
        for side, source in zip(sides, sources):
            with named(side):
                images.append(source.assemble(fetched, cache, options))
        if len(images) > 1:
            for n, (side, source) in enumerate(zip(sides, sources)):
                with named(side):
                    images[n] = source.comparable_with(images[n], images[:n] + images[n + 1:])
        return images
    finally:
        for source in sources:
            source.report_counts()
