"""diff's steps side by side: each step after the shared prefix with its counterpart."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import EntryKind
from .image_report import Analysis
from .step_pairing import StepSketch, align

SAME = "same"
EDITED = "edited"
ONLY_A = "only-a"
ONLY_B = "only-b"


@dataclass(frozen=True, slots=True)
class StepPair:
    """A step of A and its counterpart in B (either may be missing)."""

    step_a: int | None
    """Step index in A, or None when only B has it."""
    step_b: int | None
    """Step index in B, or None when only A has it."""
    instruction_a: str | None
    """Readable instruction in A."""
    instruction_b: str | None
    """Readable instruction in B."""
    size_a: int
    """Layer bytes in A (0 when absent or empty)."""
    size_b: int
    """Layer bytes in B."""

    @property
    def delta(self) -> int:
        """B - A in bytes: an edited step's growth against its counterpart."""
        return self.size_b - self.size_a

    @property
    def pairing(self) -> str:
        """same (identical text), edited (a counterpart with other text), only-a or only-b."""
        if self.step_a is None:
            return ONLY_B
        if self.step_b is None:
            return ONLY_A
        return SAME if self.instruction_a == self.instruction_b else EDITED


def _sketch(analysis: Analysis, step) -> StepSketch:
    if step.layer is None or analysis.image is None:
        return StepSketch(step.instruction)
    files = analysis.image.layers[step.layer].files
    return StepSketch(step.instruction, frozenset(
        entry.path for entry in files if entry.kind != EntryKind.DIRECTORY))


def pair_steps(a: Analysis, b: Analysis, shared_steps: int) -> tuple[StepPair, ...]:
    """Pair the steps after the shared prefix by instruction likeness and paths written."""
    rest_a, rest_b = a.report.steps[shared_steps:], b.report.steps[shared_steps:]
    order = align([_sketch(a, s) for s in rest_a], [_sketch(b, s) for s in rest_b])
    pairs = []
    for i, j in order:
        step_a = None if i is None else rest_a[i]
        step_b = None if j is None else rest_b[j]
        pairs.append(StepPair(
            step_a.index if step_a else None, step_b.index if step_b else None,
            step_a.instruction if step_a else None, step_b.instruction if step_b else None,
            step_a.size if step_a else 0, step_b.size if step_b else 0))
    return tuple(pairs)


def counterparts(pairs: tuple[StepPair, ...], shared_steps: int) -> dict[int, int]:
    """A's step index -> B's, for the shared prefix and every pair."""
    mapping = {index: index for index in range(shared_steps)}
    mapping.update({p.step_a: p.step_b for p in pairs
                    if p.step_a is not None and p.step_b is not None})
    return mapping
