"""Textual's headless Pilot drives the explorer over STORY (tests/explore/conftest.py) and reads
what the panels show: rows of the tree, the details line, the waste view."""

from __future__ import annotations

import asyncio

from layerscope.analysis.step_tree import CHANGES, FILESYSTEM, StepTree
from layerscope.explore.diff_app import ChangesView
from layerscope.explore.panels import StepsView, WasteView
from layerscope.explore.screens import HelpScreen, WasteScreen
from layerscope.explore.tree_view import TreeView


def drive(app, keys_then_check, size=(100, 30)):
    """Run the app headless, press keys, then call the check with the app."""

    async def main():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await keys_then_check(pilot)

    asyncio.run(main())


def shown(app):
    """The tree's rows as (depth, path, mark, bytes)."""
    return [(depth, e.path, e.mark, e.size) for depth, e in app.query_one(TreeView).rows]


def details(app):
    return str(app.query_one("#details").render())


def test_opens_on_the_first_own_step_with_its_changes(story_app):
    async def check(pilot):
        # steps 0 and 1 are the base (B); step 2 is the first of the image's own
        assert story_app.query_one(StepsView).cursor == 2
        assert shown(story_app) == [(0, "/etc", "changed", 120), (0, "/tmp", "changed", 500),
                                    (0, "/usr", "added", 5000)]
        assert details(story_app).startswith("step 2 (layer 1) 5,620 B (5.6 kB): added 5,500 · ")
        assert "dead 5,500 (killed by step 3: 5,000, step 4: 500) · live 120" in details(story_app)

    drive(story_app, check)


def test_select_a_step_and_toggle_the_view(story_app):
    async def check(pilot):
        await pilot.press("down")  # step 3: the chmod
        tree = story_app.query_one(TreeView)
        assert tree.mode == CHANGES
        assert shown(story_app) == [(0, "/usr", "changed", 5000)]
        await pilot.press("ctrl+l")
        assert tree.mode == FILESYSTEM
        assert [row[1] for row in shown(story_app)] == ["/bin", "/etc", "/tmp", "/usr"]
        assert "filesystem after this step" in str(tree.border_title)
        await pilot.press("ctrl+u")  # hide unchanged: only /usr, changed, stays
        assert shown(story_app) == [(0, "/usr", "changed", 5000)]
        await pilot.press("tab", "space", "down", "space", "down")
        assert shown(story_app)[-1] == (2, "/usr/lib/big", "metadata-only", 5000)
        assert details(story_app) == ("/usr/lib/big: 5,000 B (5.0 kB) · metadata only changed "
                                      "by step 3")

    drive(story_app, check)


def test_mark_filters_and_sort(story_app):
    async def check(pilot):
        await pilot.press("ctrl+a")  # hide added: /usr (new at step 2) goes
        assert [row[1] for row in shown(story_app)] == ["/etc", "/tmp"]
        await pilot.press("ctrl+a", "s")  # back, then by size: 5000, 500, 120
        assert [row[1] for row in shown(story_app)] == ["/usr", "/tmp", "/etc"]
        await pilot.press("m")  # hide changed files (directories holding changes stay)
        await pilot.press("tab", "end", "space")  # open /etc: its one file, changed, is hidden
        assert shown(story_app) == [(0, "/usr", "added", 5000), (0, "/tmp", "changed", 500),
                                    (0, "/etc", "changed", 120)]
        await pilot.press("m")
        assert shown(story_app)[-1] == (1, "/etc/passwd", "changed", 120)

    drive(story_app, check)


def test_filter_by_path(story_app):
    async def check(pilot):
        await pilot.press("ctrl+f")
        await pilot.press(*"cache", "enter")
        tree = story_app.query_one(TreeView)
        assert tree.filter == "cache"
        # the matches and the directories leading to them, open
        assert [row[:2] for row in shown(story_app)] == [
            (0, "/tmp"), (1, "/tmp/cache"), (2, "/tmp/cache/a"), (2, "/tmp/cache/b")]
        await pilot.press("ctrl+f", "ctrl+u")  # the box opens with "cache"; Ctrl+U empties it
        await pilot.press(*"passwd", "enter")
        assert shown(story_app) == [(0, "/etc", "changed", 120), (1, "/etc/passwd", "changed", 120)]
        assert tree.has_focus
        await pilot.press("slash", "escape")  # Esc clears the filter
        assert tree.filter == ""
        assert len(shown(story_app)) == 3

    drive(story_app, check)


def test_waste_view_jumps_to_the_killing_step(story_app):
    async def check(pilot):
        await pilot.press("w")
        assert isinstance(story_app.screen, WasteScreen)
        view = story_app.screen.query_one(WasteView)
        rows = [(g.label, g.size, g.kind, g.written_by_step, g.killed_by_step)
                for g in view.groups]
        assert rows == [("/usr/lib/big", 5000, "metadata-only", 2, 3),
                        ("/tmp/cache/ (2 files)", 500, "removed", 2, 4),
                        ("/etc/passwd", 100, "overwritten", 0, 2)]
        await pilot.press("down")
        assert str(story_app.screen.query_one("#waste-details").render()).startswith(
            "/tmp/cache/ (2 files): 500 B (500 B) in 2 file(s), removed: written by step 2, "
            "killed by step 4")
        await pilot.press("enter")
        assert not isinstance(story_app.screen, WasteScreen)
        assert story_app.query_one(StepsView).cursor == 4
        tree = story_app.query_one(TreeView)
        assert tree.mode == CHANGES and tree.has_focus
        assert tree.selected().path == "/tmp/cache"
        assert details(story_app) == "/tmp/cache/: 500 B (500 B), 2 entries · removed by step 4"

    drive(story_app, check)


def test_waste_view_jumps_to_the_writing_step(story_app):
    async def check(pilot):
        await pilot.press("w", "o")  # the first group, /usr/lib/big, written by step 2
        assert story_app.query_one(StepsView).cursor == 2
        assert story_app.query_one(TreeView).selected().path == "/usr/lib/big"

    drive(story_app, check)


def test_help_lists_every_key(story_app):
    async def check(pilot):
        await pilot.press("question_mark")
        assert isinstance(story_app.screen, HelpScreen)
        text = str(story_app.screen.query_one("#help").render())
        for key in ("Tab", "Space", "Ctrl+A", "Ctrl+R", "Ctrl+M", "Ctrl+U", "Ctrl+L", "Ctrl+F",
                    "w", "s", "q"):
            assert key in text
        await pilot.press("escape")
        assert not isinstance(story_app.screen, HelpScreen)

    drive(story_app, check)


def test_fits_80_by_24_and_quits_on_q(story_app):
    async def check(pilot):
        steps = story_app.query_one(StepsView)
        assert steps.size.height >= 6 and story_app.query_one(TreeView).size.width >= 30
        await pilot.press("q")
        assert story_app.return_code == 0

    drive(story_app, check, size=(80, 24))


def test_diff_by_directory_with_deltas(story_b_app):
    async def check(pilot):
        view = story_b_app.query_one(ChangesView)
        rows = [(depth, node.path, node.delta) for depth, node in view.rows]
        assert rows == [(0, "/usr", 700), (0, "/bin", 500)]
        await pilot.press("space")
        rows = [(depth, node.path, node.change, node.delta) for depth, node in view.rows]
        assert rows == [(0, "/usr", None, 700), (1, "/usr/lib", None, 700), (0, "/bin", None, 500)]
        await pilot.press("down", "space", "down")
        assert details(story_b_app) == ("/usr/lib/extra: added · A 0 B (0 B) · B 700 B (700 B) · "
                                        "delta +700 B")
        summary = str(story_b_app.query_one("#summary").render())
        assert "delta +1.2 kB (+1,200 B)" in summary

    drive(story_b_app, check)


def test_an_image_without_layers_opens_empty():
    from layerscope.explore.app import ExploreApp
    from tests.explore.conftest import empty_analysis

    analysis = empty_analysis()
    app = ExploreApp(analysis.report, StepTree(analysis))

    async def check(pilot):
        assert app.query_one(StepsView).row_count() == 0
        assert shown(app) == []
        await pilot.press("ctrl+l", "w")
        assert str(app.screen.query_one("#waste-details").render()) == ""
        await pilot.press("escape", "q")

    drive(app, check)


def test_mouse_selects_a_step_and_opens_a_directory(story_app):
    async def check(pilot):
        # the first row of a panel is at y=1, inside its border
        await pilot.click("#steps", offset=(5, 1 + 3))  # step 3
        assert story_app.query_one(StepsView).cursor == 3
        assert shown(story_app) == [(0, "/usr", "changed", 5000)]
        await pilot.click("#steps", offset=(5, 1 + 2))  # step 2: /etc, /tmp, /usr
        await pilot.click("#tree", offset=(5, 1))  # select /etc
        assert story_app.query_one(TreeView).selected().path == "/etc"
        assert len(shown(story_app)) == 3
        await pilot.click("#tree", offset=(5, 1))  # click it again: it opens
        assert shown(story_app)[:2] == [(0, "/etc", "changed", 120),
                                        (1, "/etc/passwd", "changed", 120)]

    drive(story_app, check)
