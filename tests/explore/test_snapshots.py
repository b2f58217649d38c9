"""SVG snapshots of the explorer's screens on the engine's sample image chmod:latest (base
layerscope/busybox:base, then a 1 MiB file written, chmod'ed and chown'ed), compared by
pytest-textual-snapshot. After a deliberate change of a screen, look at the new SVGs and run
`pytest tests/explore/test_snapshots.py --snapshot-update`."""

from __future__ import annotations

import pytest

from layerscope.commands.explore import ExploreOptions, build_app
from layerscope.commands.reading import reading_for
from layerscope.explore.tree_view import TreeView

pytestmark = pytest.mark.engine
IMAGE = "chmod:latest"


def app_of(image: str, image_b: str | None = None):
    """The app `layerscope explore` would run, read from the engine without the cache."""
    options = ExploreOptions(image=image, image_b=image_b, no_cache=True)
    cache, reading = reading_for(options, compared=image_b is not None)
    return build_app(options, None, cache, reading)


def test_main_screen(snap_compare):
    assert snap_compare(app_of(IMAGE))


def test_main_screen_large(snap_compare):
    assert snap_compare(app_of(IMAGE), terminal_size=(120, 36))


def test_filesystem_view(snap_compare):
    async def open_data(pilot):
        await pilot.press("ctrl+l")
        pilot.app.query_one(TreeView).reveal("/opt/data/model.bin")

    assert snap_compare(app_of(IMAGE), run_before=open_data)


def test_waste_view(snap_compare):
    assert snap_compare(app_of(IMAGE), press=["w"])


def test_help_screen(snap_compare):
    assert snap_compare(app_of(IMAGE), press=["question_mark"])


def test_no_color(snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(app_of(IMAGE), press=["tab", "space"])


def test_diff_screen(snap_compare):
    async def open_opt(pilot):
        await pilot.press("space", "down", "space")

    assert snap_compare(app_of("layerscope/busybox:base", IMAGE), run_before=open_opt)
