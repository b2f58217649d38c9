"""Every test gets a cache directory of its own, so no test reads what another one cached."""

from __future__ import annotations

import gc

import pytest


@pytest.fixture(scope="session", autouse=True)
def no_user_cache(tmp_path_factory):
    """Module- and session-scoped fixtures run before a test's own cache is set up: point them
    at a directory of the session, never at the user's ~/.cache/layerscope."""
    directory = tmp_path_factory.mktemp("layerscope-session-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAYERSCOPE_CACHE_DIR", str(directory))
        yield directory


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Point LAYERSCOPE_CACHE_DIR (inherited by subprocesses) at a fresh directory, outside
    tmp_path so tests that check what a run wrote there see only their own files."""
    directory = tmp_path_factory.mktemp("layerscope-cache")
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(directory))
    return directory


@pytest.fixture(autouse=True)
def cyclic_gc_restored():
    """__main__.main turns the cyclic GC off for its one-report process; a test that calls it
    in-process (tests/rules/test_advise_cli.py) must not leave it off for the rest of the session."""
    enabled = gc.isenabled()
    yield
    if enabled and not gc.isenabled():
        gc.enable()
