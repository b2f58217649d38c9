"""Where the base image ends: from --base (common layer prefix) or a documented heuristic."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..analysis.steps import IMPORTED, Step, instruction_keyword

HEURISTIC = "heuristic"
FROM_REFERENCE = "base-image"
NONE = "none"
INTERMEDIATE = re.compile(r"[0-9a-f]{12}|(?:sha256:)?[0-9a-f]{64}")
"""How buildah names the build's own previous step in a `FROM` comment: its short image ID."""


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


def _named_from(step: Step) -> str | None:
    """The base a buildah/podman step names in its `FROM <base>` comment, when that is an image
    name rather than the short ID of the build's own previous step."""
    if not step.comment.startswith("FROM "):
        return None
    name = step.comment[5:].strip()
    return None if not name or INTERMEDIATE.fullmatch(name) else name


def boundary_from_buildah(steps: tuple[Step, ...]) -> BaseBoundary | None:
    """buildah (and so podman build) writes `FROM <base>` as the comment of the first step it
    commits on top of the base (of the one squashed step with --squash or --layers=false, of
    the whole container with `buildah commit`): the base is what came before that step, up to
    its last layer and the CMD/ENTRYPOINT steps that followed it. None without such a step, or
    when nothing with a layer came before it (FROM scratch)."""
    marked = [step for step in steps if _named_from(step) is not None]
    if not marked:
        return None
    first_user = marked[-1]
    before = [s for s in steps[: first_user.index] if s.layer is not None]
    if not before:
        return None
    end = before[-1].index
    for step in steps[end + 1: first_user.index]:
        if not _closes_a_base(step):
            break
        end = step.index
    return BaseBoundary(len(before), end + 1, HEURISTIC,
                        f"base ends at step {end} ({steps[end].instruction}); buildah recorded "
                        f"FROM {_named_from(first_user)} on step {first_user.index}")


def boundary_from_heuristic(steps: tuple[Step, ...]) -> BaseBoundary:
    """buildah's `FROM <base>` comment where the image has one (boundary_from_buildah); else a
    base image's history ends with its CMD or ENTRYPOINT (or is a `docker import` or `podman
    import`, which record a CMD in the config only): the last such step that is followed by a
    step with a layer closes the base. Without one, nothing is counted as base."""
    named = boundary_from_buildah(steps)
    if named is not None:
        return named
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
