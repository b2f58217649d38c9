"""`layerscope explore IMAGE`: steps, the tree of each step, waste and findings, full screen."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from ..analysis.image_report import InspectReport
from ..analysis.step_tree import CHANGES, FILESYSTEM, StepTree
from ..rules.waste_groups import group_wasted
from .panels import FindingsView, StepsView
from .rows import RowList
from .screens import HelpScreen, WasteScreen
from .text import key_line, size
from .tree_view import TreeView

MAIN_KEYS = (("q", "quit"), ("?", "help"), ("Tab", "panel"), ("^L", "view"), ("^F", "filter"),
             ("s", "sort"), ("w", "waste"), ("^A^R^M^U", "marks"))

CSS = """
#main { height: 1fr; }
#left { width: 45%; }
#steps { height: 1fr; border: round $primary; }
#findings { height: 7; border: round $primary; }
#tree { width: 1fr; border: round $primary; }
RowList:focus { border: round $accent; }
#details { height: 2; padding: 0 1; }
#keys { height: 1; padding: 0 1; background: $panel; }
#filter { display: none; height: 1; border: none; padding: 0 1; }
#filter.open { display: block; }
"""


class ExploreApp(App):
    """One image: its steps, the tree of the selected step, its findings, its waste."""

    CSS = CSS
    ENABLE_COMMAND_PALETTE = False
    AUTO_FOCUS = "#steps"  # never the filter box, hidden until Ctrl+F
    TITLE = "layerscope explore"
    BINDINGS = [
        Binding("q,ctrl+q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark,f1", "help", "Help"),
        Binding("w", "waste", "Waste"),
        Binding("ctrl+l", "mode", "Changes/FS"),
        Binding("ctrl+a", "marks('added')", "Added", show=False),
        Binding("ctrl+r", "marks('removed')", "Removed", show=False),
        Binding("ctrl+m,m", "marks('changed')", "Changed", show=False),
        Binding("ctrl+u", "marks('unchanged')", "Unchanged", show=False),
        Binding("ctrl+f,slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        # dive's Tab: steps -> tree (-> findings), not the DOM's order
        Binding("tab", "panel(1)", "Next panel", show=False, priority=True),
        Binding("shift+tab", "panel(-1)", "Previous panel", show=False, priority=True),
    ]
    PANELS = ("#steps", "#tree", "#findings")
    TREE_ACTIONS = frozenset({"waste", "mode", "marks", "filter", "sort", "panel"})

    def __init__(self, report: InspectReport, tree: StepTree) -> None:
        super().__init__()
        self.report = report
        self.step_tree = tree
        # the layer an empty step's filesystem is: the last layer at or before it
        self.fs_layer: list[int] = []
        last = -1
        for step in report.steps:
            last = step.layer if step.layer is not None else last
            self.fs_layer.append(last)

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="left"):
                steps = StepsView(self.report, id="steps")
                steps.border_title = self._steps_title()
                steps.border_subtitle = "size, dead (, live) bytes"
                yield steps
                findings = FindingsView(self.report.findings or (), id="findings")
                findings.border_title = f"Findings ({len(self.report.findings or ())})"
                yield findings
            yield TreeView(self.step_tree, id="tree")
        yield Static("", id="details", markup=False)
        yield Static(key_line(MAIN_KEYS), id="keys")

    def _steps_title(self) -> str:
        report = self.report
        return (f"{report.ref}: {size(report.size)}, {size(report.wasted_bytes)} wasted")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The tree's keys only on the main screen (the waste view and the help sit over it)."""
        return not (action in self.TREE_ACTIONS and len(self.screen_stack) > 1)

    def on_mount(self) -> None:
        if not self.report.steps:
            return  # an image without layers or history: nothing to list
        steps = self.query_one(StepsView)
        first_own = next((s.index for s in self.report.steps if not s.base and not s.empty_layer),
                         0)
        steps.cursor = first_own
        steps.rows_changed()
        self._show_step(first_own)
        steps.focus()

    # -- the selected step ---------------------------------------------------------------------

    def _show_step(self, index: int, mode: str | None = None) -> None:
        tree = self.query_one(TreeView)
        step = self.report.steps[index]
        tree.empty_step = step.empty_layer
        tree.step = index
        tree.show(self.fs_layer[index], mode)
        tree.border_title = f"Step {index}: {tree.title()}"

    def on_row_list_moved(self, message: RowList.Moved) -> None:
        steps = self.query_one(StepsView)
        if message.rows is steps:
            self._show_step(message.index)
        if message.rows.has_focus or message.rows is steps:
            self.query_one("#details", Static).update(message.rows.details(message.index))

    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        if isinstance(widget, RowList):
            self.query_one("#details", Static).update(widget.details(widget.cursor))

    def jump(self, step: int, path: str | None) -> None:
        """Go to a step and, in its changes, to a path (from the waste view or a finding)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        steps = self.query_one(StepsView)
        steps.move_to(step)
        self._show_step(step, CHANGES)
        tree = self.query_one(TreeView)
        tree.focus()
        if path is not None:
            tree.reveal(path)
        tree.border_title = f"Step {step}: {tree.title()}"

    # -- actions -------------------------------------------------------------------------------

    def _retitle(self) -> None:
        tree = self.query_one(TreeView)
        tree.border_title = f"Step {self.query_one(StepsView).cursor}: {tree.title()}"

    def action_panel(self, step: int) -> None:
        if self.focused is not None and not isinstance(self.focused, RowList):
            return  # Tab in the filter box stays there
        panels = [self.query_one(name) for name in self.PANELS]
        focused = next((i for i, panel in enumerate(panels) if panel.has_focus), -1)
        panels[(focused + step) % len(panels)].focus()

    def action_mode(self) -> None:
        tree = self.query_one(TreeView)
        tree.show(mode=FILESYSTEM if tree.mode == CHANGES else CHANGES)
        self._retitle()

    def action_marks(self, mark: str) -> None:
        tree = self.query_one(TreeView)
        tree.shown ^= {mark}
        tree.show()
        self._retitle()

    def action_sort(self) -> None:
        tree = self.query_one(TreeView)
        tree.by_size = not tree.by_size
        tree.show()
        self._retitle()

    def action_filter(self) -> None:
        boxes = self.query("#filter")
        if boxes:
            box = boxes.first()
        else:  # made on first use: Input's import and mount are paid only by those who filter
            from textual.widgets import Input

            box = Input(placeholder="path contains... (Enter applies, Esc clears)", id="filter")
            self.mount(box, before="#details")
        box.add_class("open")
        box.value = self.query_one(TreeView).filter
        box.focus()

    def on_input_submitted(self, event) -> None:
        self._close_filter(event.value)

    def on_key(self, event) -> None:
        boxes = self.query("#filter")
        if event.key == "escape" and boxes and boxes.first().has_focus:
            event.stop()
            self._close_filter("")

    def _close_filter(self, text: str) -> None:
        self.query_one("#filter").remove_class("open")
        tree = self.query_one(TreeView)
        tree.filter = text.strip()
        tree.show()
        self._retitle()
        tree.focus()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_waste(self) -> None:
        self.push_screen(WasteScreen(group_wasted(self.report.wasted), self.report.wasted_bytes))
