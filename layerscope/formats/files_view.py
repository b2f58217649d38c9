"""`inspect --files STEP` in text: the step's layer as a tree, as dive shows one, each entry
with its size, what it did to the steps below, and the later step that killed it."""

from __future__ import annotations

from ..analysis.step_files import StepFile, StepFiles
from .fit import Fit, cut_end, cut_path, paint
from .units import size

MEANING = {"added": "added", "changed": "changed", "metadata-only": "changed",
           "removed": "removed"}
MARK_WIDTH = len("metadata-only")


class _Node:
    """A path in the layer's tree: its own entry (a parent the tar did not list has none)."""

    __slots__ = ("children", "entry", "touched", "total")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entry: StepFile | None = None
        self.total = 0
        """The layer's bytes under it."""
        self.touched = 0
        """Those and the lower steps' bytes its removals hid: what --sort size orders by."""


def _tree(files: tuple[StepFile, ...]) -> _Node:
    root = _Node()
    for item in files:
        node = root
        for name in item.path.strip("/").split("/"):
            if name:
                node = node.children.setdefault(name, _Node())
        node.entry = item
    _sum(root)
    return root


def _sum(root: _Node) -> None:
    """Each node's bytes, its own entry's and its children's (a removal's hidden bytes are
    not the layer's: they count in `touched` only); iterative, as paths may nest deeper than
    Python's recursion limit."""
    order, stack = [], [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.children.values())
    for node in reversed(order):
        own = node.entry.size if node.entry is not None else 0
        removal = node.entry is not None and node.entry.change == "removed"
        node.total = (0 if removal else own) + sum(c.total for c in node.children.values())
        node.touched = own + sum(c.touched for c in node.children.values())


def render_files(listing: StepFiles, fit: Fit, sort: str) -> str:
    """The tree, a header naming the step and a count per mark."""
    counts: dict[str, int] = {}
    for item in listing.files:
        if item.change:
            counts[item.change] = counts.get(item.change, 0) + 1
    lost = sum(item.size for item in listing.files
               if item.lost_to_step is not None and item.change != "removed")
    head = f"Files of step {listing.step}: "
    lines = [head + cut_end(listing.instruction, fit.width - len(head), fit)]
    summary = ", ".join(f"{counts[mark]} {mark}" for mark in MEANING if mark in counts)
    lines.append(f"Layer {size(listing.layer_size)} in {len(listing.files)} entries"
                 + (f": {summary}" if summary else "")
                 + (f"; {size(lost)} of it lost to later steps" if lost else ""))
    lines.append("")
    if not listing.files:
        return "\n".join(lines + ["The layer is empty."]) + "\n"
    lines.append(f"{'Change':<{MARK_WIDTH}}  {'Size':>9}  Path"
                 + (" (largest first)" if sort == "size" else ""))
    _walk(_tree(listing.files), fit, sort, lines)
    return "\n".join(lines) + "\n"


def _walk(root: _Node, fit: Fit, sort: str, lines: list[str]) -> None:
    """The tree's rows, depth first, each child under its parent (iterative, as _sum)."""
    stack: list[tuple[str, _Node, str, bool]] = []

    def push(node: _Node, prefix: str) -> None:
        if sort == "size":
            children = sorted(node.children.items(), key=lambda kv: (-kv[1].touched, kv[0]))
        else:
            children = sorted(node.children.items())
        for position in range(len(children) - 1, -1, -1):
            name, child = children[position]
            stack.append((name, child, prefix, position == len(children) - 1))

    push(root, "")
    while stack:
        name, node, prefix, last = stack.pop()
        lines.append(_row(name, node, prefix + ("└── " if last else "├── "), fit))
        push(node, prefix + ("    " if last else "│   "))


def _row(name: str, node: _Node, branch: str, fit: Fit) -> str:
    entry = node.entry
    change = entry.change if entry is not None else ""
    label = name + ("/" if node.children or (entry is not None and entry.kind in (
        "directory", "opaque")) else "")
    note = ""
    if entry is not None and entry.kind == "opaque":
        note = "  (everything lower steps put here hidden)"
    elif entry is not None and entry.lost_to_step is not None:
        note = f"  (lost to step {entry.lost_to_step})"
    shown = node.entry.size if change == "removed" else node.total
    room = fit.width - MARK_WIDTH - 2 - 9 - 2 - len(branch) - len(note)
    text = cut_path(label, room, fit)
    mark = paint(f"{change:<{MARK_WIDTH}}", MEANING[change], fit) if change else " " * MARK_WIDTH
    painted_note = paint(note, "dead", fit) if note.startswith("  (lost") else note
    return f"{mark}  {size(shown):>9}  {branch}{text}{painted_note}".rstrip()
