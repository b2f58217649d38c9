"""Findings about files left in the final image, grouped by the steps that wrote them."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from .base import Finding, RuleContext


def live_matches(context: RuleContext, pattern: re.Pattern,
                 candidates: Iterable[tuple[str, int]]) -> dict[bool, list[tuple[str, int, int]]]:
    """Visible files matching pattern with bytes, of the (path, bytes) `candidates`: base flag
    -> [(path, bytes, writing step)]."""
    matched = [(path, size) for path, size in candidates if size and pattern.search(path)]
    versions = context.visible(path for path, _ in matched)
    groups: dict[bool, list[tuple[str, int, int]]] = defaultdict(list)
    for path, size in matched:
        if path in versions:
            step = context.writer(versions[path])
            groups[context.is_base(step)].append((path, size, step))
    return groups


def live_findings(context: RuleContext, rule, pattern: re.Pattern, fix: str, what: str,
                  base_fix: str | None = None, *,
                  candidates: Iterable[tuple[str, int]]) -> list[Finding]:
    """One finding for the user's steps and one for the base image's, when they have bytes."""
    findings = []
    for base, items in sorted(live_matches(context, pattern, candidates).items()):
        items.sort(key=lambda item: (-item[1], item[0]))
        total = sum(size for _, size, _ in items)
        steps = tuple(sorted({step for _, _, step in items}))
        where = "the base image" if base else "step " + ", ".join(map(str, steps))
        findings.append(Finding(
            rule.id, rule.severity, rule.title, total, steps,
            tuple(path for path, _, _ in items[: context.options.max_paths]),
            base_fix or "the base image left them; clean them in a RUN of your own does not help "
                        "(a later layer cannot shrink an earlier one): pick a slimmer base"
            if base else fix,
            f"{len(items)} {what} ({total:,} bytes) left in the final image by {where}", base,
            removes=context.live_parts(path for path, _, _ in items)))
    return findings
