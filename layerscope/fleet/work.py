"""One fleet task: read and analyse one image, wherever it runs (this process, a local worker
process or a Dask worker), and send back only the compact summary and the entries of layers the
database does not hold yet. A top-level function of plain, picklable values."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import LayerscopeError


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


def analyse(job: Job) -> Outcome:
    """Read, analyse and summarise one image; a LayerscopeError or OSError becomes the outcome's
    one-line error, so one bad image never stops a scan."""
    try:
        return _analyse(job)
    except LayerscopeError as error:
        text = error.message + (f" -- {error.hint}" if error.hint else "")
        return Outcome(job.ref, None, error=" ".join(text.split()))
    except OSError as error:
        return Outcome(job.ref, None, error=" ".join(f"{job.ref}: {error}".split()))


def _analyse(job: Job) -> Outcome:
    from ..analysis.fleet_summary import layer_files, summarize
    from ..analysis.image_report import analyze
    from ..analysis.packages import PACKAGE_DATABASES
    from ..layers.limits import ReadOptions
    from ..rules import RuleContext, run_rules_in
    from ..sources.reference import open_source
    cache = _cache(job.use_cache, PACKAGE_DATABASES)
    # every file hashed: content duplicated across layers is found by its hash
    reading = ReadOptions(capture=PACKAGE_DATABASES, hash_every_file=True)
    source = open_source(job.ref, job.platform, job.access)
    try:
        image = source.read(None, cache, reading)
    finally:
        cache.release_all()
        cache.forget()
    files = layer_files(image, {layer.diff_id for layer in image.layers} - job.known_layers)
    key = stack_key(image)
    if key in job.known_stacks:
        return Outcome(job.ref, None, files, stack=key, image_id=image.image_id)
    analysis = analyze(image)
    report = replace(analysis.report, findings=run_rules_in(RuleContext(analysis)))
    return Outcome(job.ref, summarize(report), files, stack=key, image_id=image.image_id)


def stack_key(image) -> str:
    """A digest of what an image's summary depends on, but for its ID: its layers, its history
    and its platform. Images rebuilt with new labels or configs but the same layers and steps
    (a fleet's re-tags, rebuilds that changed nothing) are analysed once a scan."""
    import hashlib

    key = (image.os, image.architecture, [layer.diff_id for layer in image.layers],
           [(h.created_by, h.empty_layer, h.comment) for h in image.history])
    return hashlib.sha256(repr(key).encode()).hexdigest()


_CACHES: dict = {}


def _cache(persistent: bool, capture):
    """One cache a worker process (per cache directory): its size cap is enforced once, not
    once an image."""
    from pathlib import Path

    from ..layers.cachedir import cache_directory
    from .claims import ClaimingCache

    key = (persistent, cache_directory())
    if key not in _CACHES:
        _CACHES[key] = ClaimingCache(Path(key[1]), persistent=persistent, capture=capture)
    return _CACHES[key]
