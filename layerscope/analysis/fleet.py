"""The fleet report: totals, rankings, shared bases, recurring waste, duplicated content,
findings by rule and growth, aggregated from the rows the fleet database holds for one scan.
Pure: plain rows in, a frozen report out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImageRow:
    """One reference of the scan as the database holds it."""

    ref: str
    """The reference scanned."""
    image_id: str | None
    """Config digest; None when it could not be read."""
    error: str | None
    """The one-line error when it could not be read."""
    size: int = 0
    """Total bytes."""
    wasted_bytes: int = 0
    """Dead bytes."""
    user_size: int = 0
    """Bytes of the layers after the base."""
    user_wasted_bytes: int = 0
    """Dead bytes written after the base."""
    base_layers: int = 0
    """Layers of the base."""
    base_id: str | None = None
    """Digest of the base's layer list."""


@dataclass(frozen=True, slots=True)
class FleetRows:
    """What the report is made from (fleet.report_rows reads it from the database)."""

    scan_id: int
    """The scan reported."""
    finished_at: str
    """When it finished (ISO 8601, UTC)."""
    images: tuple[ImageRow, ...]
    """Every reference of the scan."""
    layers: tuple[tuple[str, int, str, int], ...]
    """(image ID, position, diff ID, layer size) of the scan's images."""
    waste: tuple[tuple[str, str, int, int], ...]
    """(image ID, path pattern, dead versions, bytes)."""
    findings: tuple[tuple[str, str, str, int, int], ...]
    """(image ID, rule, title, findings, estimated saving bytes)."""
    duplicates: tuple[tuple[int, int, int, str], ...]
    """(content hash, file size, distinct layers holding it, one path), most bytes first."""
    duplicate_totals: tuple[int, int]
    """(contents held by more than one layer, bytes a shared layer would save)."""
    previous_scan_id: int | None = None
    """The finished scan before it, if any."""
    previous_sizes: tuple[tuple[str, int], ...] = ()
    """(reference, size) of the previous scan's readable images."""


@dataclass(frozen=True, slots=True)
class FleetTotals:
    """The fleet's headline figures."""

    images: int
    """Distinct images read (two tags of one image ID count once)."""
    references: int
    """References scanned, readable or not."""
    failed: int
    """References that could not be read."""
    logical_bytes: int
    """Sum of the distinct images' sizes: what a naive sum says the fleet weighs."""
    unique_layer_bytes: int
    """Each distinct layer once: what a registry holding the fleet stores (uncompressed)."""
    wasted_bytes: int
    """Sum of the distinct images' dead bytes."""
    duplicate_content_bytes: int
    """Bytes of file content stored in more than one distinct layer, beyond its first copy."""


@dataclass(frozen=True, slots=True)
class RankedImage:
    """One image in a ranking."""

    ref: str
    """Its reference (the first, when several name it)."""
    image_id: str
    """Config digest."""
    size: int
    """Total bytes."""
    wasted_bytes: int
    """Dead bytes."""
    own_bytes: int
    """Bytes of its own (non-base) layers."""
    own_wasted_bytes: int
    """Dead bytes its own steps wrote."""


@dataclass(frozen=True, slots=True)
class BaseUse:
    """A base image (a list of bottom layers) and the images built on it."""

    base_id: str
    """Digest of its layers' diff IDs."""
    name: str
    """A scanned reference that is exactly this base, else its top layer's short digest."""
    layers: int
    """Its layer count."""
    size: int
    """Its bytes."""
    wasted_bytes: int
    """Dead bytes the base itself carries (in every image on it)."""
    images: int
    """Distinct images built on it."""
    refs: tuple[str, ...]
    """Their references, sorted."""


@dataclass(frozen=True, slots=True)
class WastePattern:
    """Dead versions under one path pattern, across images."""

    pattern: str
    """DIR/* (see analysis.fleet_summary.waste_pattern)."""
    images: int
    """Distinct images with dead versions there."""
    versions: int
    """Dead versions, summed."""
    bytes: int
    """Dead bytes, summed."""


@dataclass(frozen=True, slots=True)
class DuplicateContent:
    """One file content held by several distinct layers."""

    content_hash: str
    """The 64-bit content hash, as 16 hex digits."""
    size: int
    """Bytes of one copy."""
    layers: int
    """Distinct layers holding it."""
    saving_bytes: int
    """size * (layers - 1): what one shared layer would save."""
    example_path: str
    """One path it is stored at."""


@dataclass(frozen=True, slots=True)
class RuleTotal:
    """One advice rule, summed over the fleet."""

    rule: str
    """Rule ID (LS001...)."""
    title: str
    """The rule's title."""
    images: int
    """Distinct images it fired on."""
    findings: int
    """Findings, summed."""
    saving_bytes: int
    """Estimated savings, summed."""


@dataclass(frozen=True, slots=True)
class Growth:
    """One reference's size against the previous scan."""

    ref: str
    """The reference."""
    previous_size: int | None
    """Its size in the previous scan; None when it was not there (or not readable)."""
    size: int
    """Its size now."""

    @property
    def delta(self) -> int:
        """Bytes grown (negative: shrunk); a new reference grows by its size."""
        return self.size - (self.previous_size or 0)


@dataclass(frozen=True, slots=True)
class FleetReport:
    """Everything `fleet report` shows, as plain data for the formatters."""

    scan_id: int
    """The scan reported."""
    finished_at: str
    """When it finished."""
    previous_scan_id: int | None
    """The scan growth is measured against."""
    totals: FleetTotals
    """Headline figures."""
    by_wasted: tuple[RankedImage, ...]
    """Images, most dead bytes first."""
    by_own_bytes: tuple[RankedImage, ...]
    """Images, most bytes of their own first."""
    bases: tuple[BaseUse, ...]
    """Bases, most used first."""
    waste_patterns: tuple[WastePattern, ...]
    """Patterns with dead versions in two images or more, most bytes first."""
    duplicates: tuple[DuplicateContent, ...]
    """Content in several distinct layers, most saving first (the database keeps them all)."""
    rules: tuple[RuleTotal, ...]
    """Findings by rule, most saving first."""
    growth: tuple[Growth, ...]
    """References whose size changed since the previous scan (or that are new), most growth
    first; empty without a previous scan."""
    errors: tuple[tuple[str, str], ...]
    """(reference, one-line error) of each unreadable reference."""


def fleet_report(rows: FleetRows) -> FleetReport:
    """Aggregate one scan's rows into the report."""
    readable = [r for r in rows.images if r.image_id is not None and r.error is None]
    distinct: dict[str, ImageRow] = {}
    for row in sorted(readable, key=lambda r: r.ref):
        distinct.setdefault(row.image_id, row)
    layer_sizes = {diff_id: size for _, _, diff_id, size in rows.layers}
    ranked = [RankedImage(r.ref, r.image_id, r.size, r.wasted_bytes, r.user_size,
                          r.user_wasted_bytes) for r in distinct.values()]
    totals = FleetTotals(
        images=len(distinct), references=len(rows.images),
        failed=sum(1 for r in rows.images if r.error is not None),
        logical_bytes=sum(r.size for r in distinct.values()),
        unique_layer_bytes=sum(layer_sizes.values()),
        wasted_bytes=sum(r.wasted_bytes for r in distinct.values()),
        duplicate_content_bytes=rows.duplicate_totals[1])
    return FleetReport(
        scan_id=rows.scan_id, finished_at=rows.finished_at, previous_scan_id=rows.previous_scan_id,
        totals=totals,
        by_wasted=tuple(sorted(ranked, key=lambda r: (-r.wasted_bytes, r.ref))),
        by_own_bytes=tuple(sorted(ranked, key=lambda r: (-r.own_bytes, r.ref))),
        bases=_bases(distinct, rows),
        waste_patterns=_patterns(distinct, rows.waste),
        duplicates=tuple(DuplicateContent(f"{h:016x}", size, n, size * (n - 1), path)
                         for h, size, n, path in rows.duplicates),
        rules=_rules(distinct, rows.findings),
        growth=_growth(readable, rows),
        errors=tuple(sorted((r.ref, r.error) for r in rows.images if r.error is not None)),
    )


def _bases(distinct: dict[str, ImageRow], rows: FleetRows) -> tuple[BaseUse, ...]:
    stacks: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    for image_id, position, diff_id, size in rows.layers:
        stacks[image_id].append((position, diff_id, size))
    chains = {image_id: tuple(sorted(stack)) for image_id, stack in stacks.items()}
    exact = {tuple(d for _, d, _ in chain): distinct[i].ref
             for i, chain in chains.items() if i in distinct}
    users: dict[str, list[ImageRow]] = defaultdict(list)
    for row in distinct.values():
        if row.base_id is not None:
            users[row.base_id].append(row)
    bases = []
    for base_id, members in users.items():
        first = members[0]
        chain = chains.get(first.image_id, ())[: first.base_layers]
        ids = tuple(d for _, d, _ in chain)
        top = ids[-1].split(":")[-1][:12] if ids else "?"
        bases.append(BaseUse(
            base_id=base_id, name=exact.get(ids, f"layers ...{top} ({len(ids)})"),
            layers=len(ids), size=sum(s for _, _, s in chain),
            wasted_bytes=first.wasted_bytes - first.user_wasted_bytes,
            images=len(members), refs=tuple(sorted(m.ref for m in members))))
    return tuple(sorted(bases, key=lambda b: (-b.images, -b.size, b.name)))


def _patterns(distinct: dict[str, ImageRow], waste) -> tuple[WastePattern, ...]:
    groups: dict[str, list] = defaultdict(lambda: [set(), 0, 0])
    for image_id, pattern, versions, size in waste:
        if image_id in distinct:
            group = groups[pattern]
            group[0].add(image_id)
            group[1] += versions
            group[2] += size
    patterns = [WastePattern(p, len(ids), v, b) for p, (ids, v, b) in groups.items() if len(ids) > 1]
    return tuple(sorted(patterns, key=lambda p: (-p.bytes, p.pattern)))


def _rules(distinct: dict[str, ImageRow], findings) -> tuple[RuleTotal, ...]:
    groups: dict[str, list] = {}
    for image_id, rule, title, count, saving in findings:
        if image_id in distinct:
            group = groups.setdefault(rule, [title, set(), 0, 0])
            group[1].add(image_id)
            group[2] += count
            group[3] += saving
    totals = [RuleTotal(rule, t, len(ids), c, s) for rule, (t, ids, c, s) in groups.items()]
    return tuple(sorted(totals, key=lambda r: (-r.saving_bytes, r.rule)))


def _growth(readable: list[ImageRow], rows: FleetRows) -> tuple[Growth, ...]:
    if rows.previous_scan_id is None:
        return ()
    before = dict(rows.previous_sizes)
    changed = [Growth(r.ref, before.get(r.ref), r.size) for r in readable
               if before.get(r.ref) != r.size]
    return tuple(sorted(changed, key=lambda g: (-g.delta, g.ref)))
