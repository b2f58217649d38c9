"""The inspect report: every step's bytes, every dead version, the headline figures."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import compress, repeat
from operator import eq, itemgetter
from typing import NamedTuple

from ..analysis.steps import image_steps
from ..model import Image, LayerDigests
from .base_image import BaseBoundary, boundary_from_base_image, boundary_from_heuristic
from .efficiency import dive_efficiency
from .merge import DUPLICATE_MEMBER, REMOVED, ROOT_OPAQUE, MergeResult, merge_layers


@dataclass(frozen=True, slots=True)
class StepReport:
    """One history entry with the bytes its layer added, replaced, deleted and lost."""

    index: int
    """Position in the history, oldest first."""
    instruction: str
    """Readable instruction text."""
    created_by: str
    """Raw created_by as recorded by the builder."""
    empty_layer: bool
    """True when the step produced no layer."""
    layer: int | None
    """Index of its layer, or None."""
    size: int
    """Layer size in bytes (0 for empty-layer steps)."""
    added_bytes: int
    """Bytes written at paths that were not visible before."""
    replaced_bytes: int
    """Bytes written at paths a lower layer had visible."""
    deleted_lower_bytes: int
    """Bytes of lower layers this step removed or replaced (still in those layers)."""
    dead_bytes: int
    """Bytes this step wrote that are dead in the final image."""
    live_bytes: int
    """Bytes this step wrote that are visible in the final image."""
    dead_by_step: tuple[tuple[int, int], ...]
    """(killing step, bytes) pairs that make up dead_bytes, largest first."""
    base: bool
    """True when the step belongs to the base image."""
    history_missing: bool
    """True when the image recorded no history for this layer."""


class WastedFile(NamedTuple):
    """A dead version: bytes in the image that the final filesystem does not show.

    A named tuple, as merge.DeadVersion is (its fields in the same order): 90k of them on a
    300k-file image are made from the dead versions in C."""

    path: str
    """Where it was written."""
    size: int
    """Its bytes."""
    kind: str
    """removed, overwritten, metadata-only or replaced-by-link."""
    written_by_step: int
    """Step that wrote it."""
    killed_by_step: int
    """Step that removed or replaced it."""
    removal_root: str
    """The path the killing entry named, for grouping a removed directory's files."""


@dataclass(frozen=True, slots=True)
class ReportWarning:
    """Something in the image that Docker's engine refuses or reads otherwise, and how it was
    counted."""

    kind: str
    """duplicate-member (one layer has more than one member at the path) or root-opaque (an
    opaque marker at the layer root)."""
    path: str
    """The path it concerns."""
    layer: int
    """Index of the layer it is in."""
    step: int
    """The step that made that layer."""
    message: str
    """One sentence for people, naming the path and the layer."""


@dataclass(frozen=True, slots=True)
class LayerSummary:
    """One layer's identity and size."""

    index: int
    """Position in the stack, 0 = bottom."""
    diff_id: str
    """Uncompressed digest."""
    size: int
    """Bytes, as `docker history` counts them."""
    compressed_size: int | None
    """Bytes as stored in the source, when known."""
    media_type: str | None
    """Blob media type, when the manifest records one."""
    file_count: int
    """Entries in the layer (whiteouts included)."""
    step: int | None
    """The step that produced it."""


@dataclass(frozen=True, slots=True)
class InspectReport:
    """Everything `inspect` shows, as plain data for the formatters."""

    ref: str
    """The reference as given."""
    image_id: str
    """Config digest."""
    repo_tags: tuple[str, ...]
    """Known tags."""
    platform: str
    """os/architecture of the image."""
    size: int
    """Total bytes; equals docker image inspect's .Size."""
    visible_bytes: int
    """Bytes of live versions."""
    wasted_bytes: int
    """Bytes of dead versions; size == visible_bytes + wasted_bytes."""
    user_size: int
    """Bytes of the layers after the base image."""
    user_wasted_bytes: int
    """Dead bytes written by steps after the base image."""
    efficiency: float
    """dive's efficiency score, computed as dive does."""
    base: BaseBoundary
    """Where the base image ends."""
    layers: tuple[LayerSummary, ...]
    """Per layer."""
    steps: tuple[StepReport, ...]
    """Per history entry, oldest first."""
    wasted: tuple[WastedFile, ...]
    """Every dead version, largest first."""
    findings: tuple | None = None
    """Advice findings (layerscope.rules.Finding); None when the caller did not run the rules."""
    packages: tuple = ()
    """Per step, packages installed/removed (analysis.packages.StepPackages), when asked for."""
    warnings: tuple[ReportWarning, ...] = ()
    """Inputs Docker's engine refuses or reads otherwise, in the order the merge met them."""


@dataclass(frozen=True, slots=True)
class Analysis:
    """The report together with the merged index it came from (for diff and path budgets)."""

    report: InspectReport
    """The plain report."""
    merged: MergeResult
    """The merged index: dead versions and the final tree (see analysis.tree)."""
    image: Image | None = None
    """The image analysed (its layers' captured package databases feed the advice rules)."""


# the fields WastedFile and merge.DeadVersion share, by position
PATH, SIZE, KIND, WRITER, KILLER, ROOT = (itemgetter(i) for i in range(6))


def inspect_image(image: Image, base: LayerDigests | None = None) -> InspectReport:
    """Analyse an indexed image; with a base image's digests, the base is the common prefix."""
    return analyze(image, base).report


def analyze(image: Image, base: LayerDigests | None = None,
            merged: MergeResult | None = None) -> Analysis:
    """inspect_image, keeping the merged index for callers that need the final filesystem;
    `merged` is the image's layers merged already, while they were read
    (analysis.streamed_merge)."""
    steps = image_steps(image)
    layer_files = [layer.files for layer in image.layers]
    if merged is None:
        merged = merge_layers(layer_files)
    if base is not None:
        boundary = boundary_from_base_image(
            steps, [layer.diff_id for layer in image.layers], list(base.diff_ids),
            base.history_length, base.ref)
    else:
        boundary = boundary_from_heuristic(steps)

    step_of_layer = {s.layer: s.index for s in steps if s.layer is not None}
    step_reports = []
    for step in steps:
        if step.layer is None:
            step_reports.append(StepReport(step.index, step.instruction, step.created_by, True,
                                           None, 0, 0, 0, 0, 0, 0, (), step.index < boundary.step_count,
                                           step.history_missing))
            continue
        layer = image.layers[step.layer]
        flow = merged.flows[step.layer]
        step_reports.append(StepReport(
            index=step.index,
            instruction=step.instruction,
            created_by=step.created_by,
            empty_layer=False,
            layer=step.layer,
            size=layer.size,
            added_bytes=flow.added_bytes,
            replaced_bytes=flow.replaced_bytes,
            deleted_lower_bytes=flow.deleted_lower_bytes,
            dead_bytes=flow.dead_bytes,
            live_bytes=layer.size - flow.dead_bytes,
            dead_by_step=tuple((step_of_layer[k], b) for k, b in flow.dead_by_layer),
            base=step.layer < boundary.layer_count,
            history_missing=step.history_missing,
        ))

    # largest first, then by path and writing step (layers and their steps come in the same
    # order): three stable sorts on one plain key each compare ints and strings in C, where one
    # sort on a (-size, path, step) tuple made by a lambda cost far more (90k dead versions:
    # 135 -> 37 ms)
    dead = sorted(merged.dead, key=WRITER)
    dead.sort(key=PATH)
    dead.sort(key=SIZE, reverse=True)
    # made in C, and in the report's order, so that every later pass over the report's wasted
    # files (rules, formats) reads memory in order: in the dead versions' order they took
    # twice as long
    step_of = step_of_layer.__getitem__
    wasted = tuple(map(partial(tuple.__new__, WastedFile), zip(
        map(PATH, dead), map(SIZE, dead), map(KIND, dead), map(step_of, map(WRITER, dead)),
        map(step_of, map(KILLER, dead)), map(ROOT, dead))))
    user_layers = range(boundary.layer_count, len(image.layers))
    report = InspectReport(
        ref=image.ref,
        image_id=image.image_id,
        repo_tags=image.repo_tags,
        platform=f"{image.os}/{image.architecture}",
        size=image.size,
        visible_bytes=merged.visible_bytes,
        wasted_bytes=merged.wasted_bytes,
        user_size=sum(image.layers[i].size for i in user_layers),
        user_wasted_bytes=sum(merged.flows[i].dead_bytes for i in user_layers),
        efficiency=dive_efficiency(layer_files, merged),
        base=boundary,
        layers=tuple(
            LayerSummary(layer.index, layer.diff_id, layer.size, layer.compressed_size,
                         layer.media_type, len(layer.files), step_of_layer.get(layer.index))
            for layer in image.layers),
        steps=tuple(step_reports),
        wasted=wasted,
        warnings=tuple(_warning(kind, path, layer, step_of_layer[layer])
                       for kind, path, layer in merged.anomalies),
    )
    return Analysis(report, merged, image)


WARNING_TEXTS = {
    DUPLICATE_MEMBER: "has more than one member at {path}: Docker's engine refuses to load such a "
                      "layer (duplicates of file paths not supported); layerscope counts every "
                      "member, each later one replacing the one before",
    ROOT_OPAQUE: "has an opaque marker at the root (./.wh..wh..opq): layerscope follows the OCI "
                 "spec and counts every file of the lower layers as removed, but Docker's overlay2 "
                 "ignores the marker at a layer root and its containers still show them",
}


def _warning(kind: str, path: str, layer: int, step: int) -> ReportWarning:
    message = f"layer {layer} (step {step}) " + WARNING_TEXTS[kind].format(path=path)
    return ReportWarning(kind, path, layer, step, message)


def removed_below(report: InspectReport) -> dict[int, int]:
    """Step -> bytes of lower steps it removed (whiteouts); the rest of deleted_lower_bytes it
    replaced with entries of its own."""
    removed: dict[int, int] = {}
    wasted = report.wasted
    for _, size, _, written, killed, _ in compress(wasted, map(eq, map(KIND, wasted),
                                                             repeat(REMOVED))):
        if written < killed:
            removed[killed] = removed.get(killed, 0) + size
    return removed
