"""Dead bytes grouped by (writing step, killing step), each pair given to exactly one rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import compress, repeat
from operator import eq, itemgetter

from ..analysis.image_report import WastedFile
from ..analysis.merge import METADATA_ONLY, OVERWRITTEN, REMOVED, REPLACED_BY_LINK
from ..analysis.steps import instruction_keyword
from .base import Finding, RuleContext

CLEANUP, COPIED, METADATA, CHURN = "LS001", "LS002", "LS003", "LS008"
PATH, SIZE, KIND, STEPS = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(3, 4)


@dataclass(frozen=True)
class Pair:
    """The dead versions one step wrote and one later step killed."""

    writer: int
    killer: int
    by_kind: dict[str, int]
    paths: tuple[tuple[str, int], ...]
    """(path, bytes), largest first."""
    versions: tuple[tuple[int, str, int], ...] = ()
    """(layer, path, bytes) of the dead versions: what folding the steps removes."""

    @property
    def bytes(self) -> int:
        return sum(self.by_kind.values())


def pairs(context: RuleContext) -> list[Pair]:
    """Every (writer, killer) pair with dead bytes, oldest writer first."""
    # the dead versions grouped by pair in one loop, then each group's sums and tuples made in
    # C: one dict-of-dicts update and two tuples a version took 68 ms on 90k, this 50 ms
    groups: dict[tuple[int, int], list[WastedFile]] = {}
    wasted = context.report.wasted
    for key, item in zip(map(STEPS, wasted), wasted):
        group = groups.get(key)
        if group is None:
            groups[key] = [item]
        else:
            group.append(item)
    steps = context.report.steps
    result = []
    for key in sorted(groups):
        items = groups[key]
        sizes = list(map(SIZE, items))
        kinds = list(map(KIND, items))
        by_kind = dict.fromkeys(kinds, 0)  # in the order the kinds first come, as before
        if len(by_kind) == 1:
            by_kind[kinds[0]] = sum(sizes)
        else:
            for kind in by_kind:
                by_kind[kind] = sum(compress(sizes, map(eq, kinds, repeat(kind))))
        paths = tuple(zip(map(PATH, items), sizes))
        layer = steps[key[0]].layer
        versions = tuple(zip(repeat(layer), compress(map(PATH, items), sizes),
                             compress(sizes, sizes)))
        pair = Pair(key[0], key[1], by_kind, paths, versions)
        if pair.bytes > 0:
            result.append(pair)
    return result


def classify(context: RuleContext, pair: Pair) -> str:
    """The one rule a pair belongs to."""
    removed = pair.by_kind.get(REMOVED, 0) + pair.by_kind.get(REPLACED_BY_LINK, 0)
    keyword = instruction_keyword(context.instruction(pair.writer))
    if removed and keyword in ("COPY", "ADD"):
        return COPIED
    if removed:
        return CLEANUP
    if pair.by_kind.get(METADATA_ONLY, 0) >= pair.by_kind.get(OVERWRITTEN, 0):
        return METADATA
    return CHURN


def pair_findings(context: RuleContext, rule, fix: str, describe) -> list[Finding]:
    """Findings of one pair rule: one per pair classified to it."""
    findings = []
    for pair in context.shared(pairs):
        if classify(context, pair) != rule.id:
            continue
        base = context.is_base(pair.writer)
        shown = tuple(path for path, size in pair.paths[: context.options.max_paths] if size)
        findings.append(Finding(
            rule.id, rule.severity, rule.title, pair.bytes, (pair.writer, pair.killer), shown,
            base_fix(context, pair) if base else fix.format(w=pair.writer, k=pair.killer),
            describe(context, pair), base, removes=pair.versions))
    return findings


# Files every apt-get/dpkg run rewrites (dpkg's and debconf's databases, their logs, ld.so's
# cache): the first step that installs anything replaces the base image's copies.
PACKAGE_STATE = re.compile(
    r"^/(?:var/lib/dpkg/|var/cache/debconf/|var/cache/ldconfig/|var/log/apt/|var/log/dpkg\.log$"
    r"|var/log/alternatives\.log$|etc/ld\.so\.cache$|var/lib/apt/extended_states$)")


def base_fix(context: RuleContext, pair: Pair) -> str:
    """What avoids dead bytes the base image wrote: the bytes sit in the base layer, but when one
    of the user's steps killed them, that step is the cause."""
    if context.is_base(pair.killer):
        return "the base image wrote these bytes and replaced them itself; only another base avoids them"
    state = [path for path, size in pair.paths if size and PACKAGE_STATE.match(path)]
    others = [path for path, size in pair.paths if size and not PACKAGE_STATE.match(path)]
    parts = []
    if others:
        parts.append(f"your step {pair.killer} rewrote or removed files the base image wrote "
                     f"({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}); the old "
                     "copies stay in the base layer: leave the base's files as they are (add a "
                     "file of your own instead of editing one)")
    if state:
        parts.append(f"{'' if others else f'your step {pair.killer} '}rewrote package-manager "
                     f"files ({', '.join(state[:3])}{', ...' if len(state) > 3 else ''}) that "
                     "every apt-get or dpkg run rewrites: the base's copies die with the first "
                     "step that installs packages, so no Dockerfile change avoids this short of a "
                     "base that already has the packages (more install steps add churn of your "
                     "own: install in one RUN)")
    return "; ".join(parts)


def summarize_kinds(pair: Pair) -> str:
    parts = [f"{kind} {size:,} B" for kind, size in sorted(pair.by_kind.items()) if size]
    return ", ".join(parts)
