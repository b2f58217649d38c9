"""Where the base image ends: from --base (common layer prefix) or a documented heuristic."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.steps import IMPORTED, Step, instruction_keyword

HEURISTIC = "heuristic"
FROM_REFERENCE = "base-image"
NONE = "none"


@dataclass(frozen=True, slots=True)
class BaseBoundary:
    """How many leading layers and steps belong to the base image, and how that was decided."""

    layer_count: int
    """Leading layers that came from FROM."""
    step_count: int
    """Leading history steps that came from FROM."""
    method: str
    """base-image (given with --base), heuristic, or none."""
    detail: str
    """One line saying how the boundary was found, for the report."""


def _closes_a_base(step: Step) -> bool:
    return (instruction_keyword(step.instruction) in ("CMD", "ENTRYPOINT")
            or step.instruction.startswith(IMPORTED))


def boundary_from_heuristic(steps: tuple[Step, ...]) -> BaseBoundary:
    """A base image's history ends with its CMD or ENTRYPOINT (or is a `docker import`, which
    records its CMD in the config only): the last such step that is followed by a step with a
    layer closes the base. Without one, nothing is counted as base."""
    last_layer_step = max((s.index for s in steps if s.layer is not None), default=-1)
    closing = None
    for step in steps:
        if step.index < last_layer_step and _closes_a_base(step):
            closing = step
    if closing is None:
        return BaseBoundary(0, 0, NONE, "no base image detected (no CMD/ENTRYPOINT or import "
                                        "before the last layer); give --base to set one")
    layers = sum(1 for s in steps[: closing.index + 1] if s.layer is not None)
    return BaseBoundary(layers, closing.index + 1, HEURISTIC,
                        f"base ends at step {closing.index} ({closing.instruction}); "
                        "heuristic: a base image's history ends with CMD/ENTRYPOINT or an import")


def boundary_from_base_image(steps: tuple[Step, ...], image_diff_ids: list[str],
                             base_diff_ids: list[str], base_history_length: int,
                             base_ref: str) -> BaseBoundary:
    """The longest common prefix of layer digests with the given base image."""
    shared = 0
    for mine, theirs in zip(image_diff_ids, base_diff_ids):
        if mine != theirs:
            break
        shared += 1
    if shared == 0:
        return BaseBoundary(0, 0, FROM_REFERENCE, f"shares no layers with --base {base_ref}")
    if shared == len(base_diff_ids) and base_history_length <= len(steps):
        step_count = base_history_length
    else:
        step_count = next(s.index for s in steps if s.layer == shared - 1) + 1
    return BaseBoundary(shared, step_count, FROM_REFERENCE,
                        f"first {shared} layer(s) shared with --base {base_ref}")
