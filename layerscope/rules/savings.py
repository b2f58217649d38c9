"""What the fixes save together. Findings overlap (a recommended package can also be a toolchain
package; a churned file can sit in a folded range), so their estimates are not added: the
versions each fix removes are, each (layer, path) version once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

from .base import Finding

VERSION, SIZE = itemgetter(0, 1), itemgetter(2)


@dataclass(frozen=True)
class Savings:
    """The user findings' fixes applied together."""

    every_fix: int
    """Bytes all the fixes remove together, each version once, at most `touchable`."""
    mechanical: int
    """The same for the fixes --patch writes (rules.patch.MECHANICAL_RULES)."""
    touchable: int
    """The bytes the fixes could touch at all: the layers after the base image."""


def together(findings: Iterable[Finding], touchable: int) -> int:
    """The union of the findings' removed versions; an estimate with no versions behind it
    (packages without dpkg file lists) adds its own bytes. Never above touchable."""
    # each finding's versions taken in as one dict made in C, and only the versions two fixes
    # share compared: one max() a version cost 50 ms on big-churn's 90k
    versions: dict[tuple[int, str], int] = {}
    unlisted = 0
    for finding in findings:
        removes = finding.removes
        if not removes:
            unlisted += finding.estimated_saving_bytes or 0
            continue
        sizes = dict(zip(map(VERSION, removes), map(SIZE, removes)))
        if len(sizes) < len(removes):
            sizes = {}
            for layer, path, size in removes:
                sizes[layer, path] = max(size, sizes.get((layer, path), 0))
        for key in sizes.keys() & versions.keys():
            # a part of a version (a package's stanzas in dpkg's status) is inside the whole
            # version another fix removes
            sizes[key] = max(sizes[key], versions[key])
        versions.update(sizes)
    return min(touchable, sum(versions.values()) + unlisted)


def savings(findings: Iterable[Finding], touchable: int) -> Savings:
    """Every user finding's fix together, and the mechanical ones together."""
    from .patch import MECHANICAL_RULES

    user = [f for f in findings if not f.base]
    return Savings(together(user, touchable),
                   together((f for f in user if f.rule in MECHANICAL_RULES), touchable),
                   touchable)
