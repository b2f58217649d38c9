"""`layerscope cache info|prune|clear`: the cache of layer indexes, configs and reports."""

from __future__ import annotations

from dataclasses import dataclass

from ..formats.units import size
from ..output import write_report


@dataclass(frozen=True, kw_only=True)
class CacheOptions:
    """What `cache` was asked for."""

    action: str
    """info, prune or clear."""
    max_size: int | None = None
    """prune down to this many bytes; None: the cache's cap."""


def run(options: CacheOptions) -> int:
    """Show the cache, or free space in it, and say how much."""
    from ..layers.cache import CacheStore

    cache = CacheStore()
    if options.action == "info":
        stats = cache.stats()
        write_report(f"directory   {stats.directory}\n"
                     f"layers      {stats.layer_entries}\n"
                     f"configs     {stats.config_entries}\n"
                     f"size        {size(stats.total_bytes)} ({stats.total_bytes:,} bytes)\n"
                     f"cap         {size(stats.limit_bytes)}\n", None)
        return 0
    freed = cache.clear() if options.action == "clear" else cache.prune(
        cache.limit if options.max_size is None else options.max_size)
    write_report(f"freed {size(freed)} ({freed:,} bytes)\n", None)
    return 0
