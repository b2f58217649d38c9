"""Where the cache lives: kept apart from the cache itself (and from pathlib) so a replayed run
(see layerscope.replay) finds it without importing the layer machinery."""

from __future__ import annotations

import os


def cache_directory() -> str:
    """$LAYERSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/layerscope, else ~/.cache/layerscope."""
    explicit = os.environ.get("LAYERSCOPE_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "layerscope")


def owned_by_this_user(directory: str | os.PathLike) -> bool:
    """True when this user owns the directory: entries in anyone else's are never trusted."""
    return not hasattr(os, "getuid") or os.stat(directory).st_uid == os.getuid()


def mark_used(path: str | os.PathLike) -> None:
    """Count a read as a use: least recently used entries go first when the cap is passed."""
    try:
        os.utime(path)
    except OSError:
        pass
