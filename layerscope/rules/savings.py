"""What the fixes save together. Findings overlap (a recommended package can also be a toolchain
package; a churned file can sit in a folded range), so their estimates are not added: the
versions each fix removes are, each (layer, path) version once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .base import Finding


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
    versions: dict[tuple[int, str], int] = {}
    unlisted = 0
    for finding in findings:
        if not finding.removes:
            unlisted += finding.estimated_saving_bytes or 0
        for layer, path, size in finding.removes:
            # a part of a version (a package's stanzas in dpkg's status) is inside the whole
            # version another fix removes
            versions[(layer, path)] = max(size, versions.get((layer, path), 0))
    return min(touchable, sum(versions.values()) + unlisted)


def savings(findings: Iterable[Finding], touchable: int) -> Savings:
    """Every user finding's fix together, and the mechanical ones together."""
    from .patch import MECHANICAL_RULES

    user = [f for f in findings if not f.base]
    return Savings(together(user, touchable),
                   together((f for f in user if f.rule in MECHANICAL_RULES), touchable),
                   touchable)
