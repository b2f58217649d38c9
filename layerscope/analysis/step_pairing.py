"""Which step of one image is the counterpart of which step of another: by what the instruction
says and by what the step wrote, never by position alone.

Two steps are counterparts when their instruction texts are alike (difflib's ratio) or their
layers wrote mostly the same paths (the share of paths both wrote among the paths either
wrote), whichever says more, at least PAIRED. Among all order-keeping pairings the one with the
highest total likeness wins (an alignment by dynamic programming, as `diff` aligns lines): an
edited `RUN` finds the step it replaced, and a step the other image does not have is paired
with nothing instead of with whatever sits at its position."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

PAIRED = 0.5
"""The least likeness, 0..1, for two steps to be counterparts."""


@dataclass(frozen=True, slots=True)
class StepSketch:
    """What pairing looks at in one step."""

    instruction: str
    """Readable instruction text."""
    paths: frozenset[str] = frozenset()
    """Non-directory paths its layer wrote or deleted (empty for a step without a layer)."""


def likeness(x: StepSketch, y: StepSketch) -> float:
    """0..1: how alike the two steps are, by text or by paths written, whichever is higher."""
    if x.instruction == y.instruction:
        return 1.0
    text = 0.0
    matcher = difflib.SequenceMatcher(None, x.instruction, y.instruction, autojunk=False)
    if matcher.real_quick_ratio() >= PAIRED and matcher.quick_ratio() >= PAIRED:
        text = matcher.ratio()
    paths = 0.0
    smaller, larger = sorted((len(x.paths), len(y.paths)))
    # the share can be no more than smaller / larger: skip the intersection when that is low
    if smaller and smaller >= PAIRED * larger and text < smaller / larger:
        shared = len(x.paths & y.paths)
        paths = shared / (len(x.paths) + len(y.paths) - shared)
    return max(text, paths)


def align(a: Sequence[StepSketch], b: Sequence[StepSketch]) -> list[tuple[int | None, int | None]]:
    """(index in a, index in b) in order; None where a step has no counterpart. Between two
    pairs, a's unpaired steps come before b's, as a diff lists removals before additions."""
    n, m = len(a), len(b)
    score = [[likeness(x, y) for y in b] for x in a]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            here = max(best[i + 1][j], best[i][j + 1])
            if score[i][j] >= PAIRED:
                here = max(here, best[i + 1][j + 1] + score[i][j])
            best[i][j] = here
    pairs: list[tuple[int | None, int | None]] = []
    only_a: list[int] = []
    only_b: list[int] = []
    i = j = 0
    while i < n and j < m:
        if score[i][j] >= PAIRED and best[i][j] == best[i + 1][j + 1] + score[i][j]:
            pairs += [(x, None) for x in only_a] + [(None, y) for y in only_b]
            only_a, only_b = [], []
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            only_a.append(i)
            i += 1
        else:
            only_b.append(j)
            j += 1
    only_a += range(i, n)
    only_b += range(j, m)
    return pairs + [(x, None) for x in only_a] + [(None, y) for y in only_b]
