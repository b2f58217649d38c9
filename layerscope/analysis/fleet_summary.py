"""What a fleet keeps of one analysed image: its headline figures, its layers, its waste by
path pattern and its findings by rule; small enough to send back from a cluster worker."""

from __future__ import annotations

import csv
import hashlib
import io
import posixpath
from collections import defaultdict
from dataclasses import dataclass

from ..model import EntryKind, Image

FOLDED_HASH = (1 << 64) - 1
"""Content hashes are kept in 64 bits: a table-of-contents sha256 (layers.toc) is folded."""


@dataclass(frozen=True, slots=True)
class LayerRow:
    """One layer of an image, as the fleet stores it."""

    diff_id: str
    """Uncompressed digest."""
    size: int
    """Bytes, as `docker history` counts them."""
    file_count: int
    """Entries in the layer (whiteouts included)."""


@dataclass(frozen=True, slots=True)
class LayerFiles:
    """A layer's entries for the fleet database, as CSV made where the layer was read (a
    worker): the database loads CSV in bulk far faster than it converts Python values."""

    diff_id: str
    """Uncompressed digest."""
    count: int
    """Entries (CSV rows)."""
    csv: bytes
    """One row an entry, in tar order: path, EntryKind value, size, 64-bit content hash of a
    regular file (empty: none, or not computed). UTF-8; a path byte that was not UTF-8 (held
    as a lone surrogate) is written as its \\udcNN escape."""


@dataclass(frozen=True, slots=True)
class ImageSummary:
    """One analysed image, as the fleet stores it."""

    image_id: str
    """Config digest."""
    platform: str
    """os/architecture."""
    size: int
    """Total bytes (docker image inspect's .Size)."""
    visible_bytes: int
    """Bytes of live versions."""
    wasted_bytes: int
    """Bytes of dead versions; size == visible_bytes + wasted_bytes."""
    user_size: int
    """Bytes of the layers after the base image."""
    user_wasted_bytes: int
    """Dead bytes written by steps after the base image."""
    efficiency: float
    """dive's efficiency score."""
    base_layers: int
    """How many of the bottom layers are the base image."""
    base_id: str | None
    """Identity of the base: a digest of its layers' diff IDs; None when the image has none."""
    base_name: str
    """How the base boundary was found (the inspect report's one line), for people."""
    layers: tuple[LayerRow, ...]
    """Bottom first."""
    waste: tuple[tuple[str, int, int], ...]
    """(path pattern, dead versions, bytes), largest first."""
    findings: tuple[tuple[str, str, int, int], ...]
    """(rule ID, title, findings, estimated saving bytes) per rule that fired."""


def waste_pattern(path: str, kind: str, removal_root: str) -> str:
    """The pattern a dead version is grouped under across images: the directory a removal named
    (`rm -rf /var/lib/apt/lists/*` removes each file: their directory), else the file's own
    directory, as `DIR/*`."""
    if kind == "removed" and removal_root != path and removal_root not in ("", "/"):
        return removal_root.rstrip("/") + "/*"
    parent = posixpath.dirname(path)
    return (parent if parent != "/" else "") + "/*"


def base_identity(diff_ids: list[str] | tuple[str, ...]) -> str | None:
    """A digest naming a base by its layers (the same layers are the same base anywhere)."""
    if not diff_ids:
        return None
    return "sha256:" + hashlib.sha256("\n".join(diff_ids).encode()).hexdigest()


def summarize(report) -> ImageSummary:
    """The fleet's record of an inspect report (with findings, see commands.inspect)."""
    waste: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for dead in report.wasted:
        group = waste[waste_pattern(dead.path, dead.kind, dead.removal_root)]
        group[0] += 1
        group[1] += dead.size
    findings: dict[str, list] = {}
    for finding in report.findings or ():
        row = findings.setdefault(finding.rule, [finding.title, 0, 0])
        row[1] += 1
        row[2] += finding.estimated_saving_bytes or 0
    base_count = report.base.layer_count
    diff_ids = [layer.diff_id for layer in report.layers]
    return ImageSummary(
        image_id=report.image_id, platform=report.platform, size=report.size,
        visible_bytes=report.visible_bytes, wasted_bytes=report.wasted_bytes,
        user_size=report.user_size, user_wasted_bytes=report.user_wasted_bytes,
        efficiency=report.efficiency, base_layers=base_count,
        base_id=base_identity(diff_ids[:base_count]), base_name=report.base.detail,
        layers=tuple(LayerRow(layer.diff_id, layer.size, layer.file_count) for layer in report.layers),
        waste=tuple(sorted(((p, c, b) for p, (c, b) in waste.items()), key=lambda r: (-r[2], r[0]))),
        findings=tuple(sorted((rule, t, c, s) for rule, (t, c, s) in findings.items())),
    )


def layer_files(image: Image, wanted: set[str] | frozenset[str]) -> tuple[LayerFiles, ...]:
    """The entries of the image's layers named in `wanted`, once each, as columns."""
    out = []
    seen = set()
    for layer in image.layers:
        if layer.diff_id not in wanted or layer.diff_id in seen:
            continue
        seen.add(layer.diff_id)
        files = layer.files
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(
            (f[0], int(f[1]), f[2], _hash(f[7]) if f[1] == EntryKind.FILE else None) for f in files)
        out.append(LayerFiles(layer.diff_id, len(files),
                              text.getvalue().encode("utf-8", "backslashreplace")))
    return tuple(out)


def _hash(value: int | None) -> int | None:
    if value is None or value <= FOLDED_HASH:
        return value
    return value % (FOLDED_HASH + 1)
