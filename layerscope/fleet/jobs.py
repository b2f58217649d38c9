"""What the client and the workers of a fleet scan exchange: a Job out, an Outcome back, plain
picklable values, and the stack key both sides compute. Light on purpose: the client imports it,
and only a worker imports the reading and analysis stack (fleet.work)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Job:
    """What a worker needs to analyse one image."""

    ref: str
    """The image reference, as the target list gave it."""
    platform: str | None
    """--platform, or None for the worker's."""
    access: object
    """sources.registry_access.RegistryAccess: how to reach docker:// registries."""
    known_layers: frozenset[str]
    """Diff IDs whose entries the database holds already (their rows are not sent back)."""
    use_cache: bool = True
    """Read and write the layer-index cache on the worker."""
    known_stacks: frozenset[str] = frozenset()
    """Stack keys (see stack_key) whose summary the client holds: not computed again."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What came back for one image: a summary and new layers' entries, or one error line."""

    ref: str
    """The image reference."""
    summary: object | None
    """analysis.fleet_summary.ImageSummary; None when the image could not be read, or when
    its stack key was one of Job.known_stacks."""
    files: tuple = ()
    """analysis.fleet_summary.LayerFiles of the layers not in Job.known_layers."""
    error: str | None = None
    """The one-line error (with its hint after ' -- ') when the image could not be read."""
    stack: str | None = None
    """The image's stack key."""
    image_id: str | None = None
    """The image ID, when it was read."""


def stack_key(image) -> str:
    """A digest of what an image's summary depends on, but for its ID: its layers, its history
    and its platform. Images rebuilt with new labels or configs but the same layers and steps
    (a fleet's re-tags, rebuilds that changed nothing) are analysed once a scan."""
    import hashlib

    key = (image.os, image.architecture, [layer.diff_id for layer in image.layers],
           [(h.created_by, h.empty_layer, h.comment) for h in image.history])
    return hashlib.sha256(repr(key).encode()).hexdigest()

