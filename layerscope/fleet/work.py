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


@dataclass(frozen=True, slots=True)
class Outcome:
    """What came back for one image: a summary and new layers' entries, or one error line."""

    ref: str
    """The image reference."""
    summary: object | None
    """analysis.fleet_summary.ImageSummary, or None when the image could not be read."""
    files: tuple = ()
    """analysis.fleet_summary.LayerFiles of the layers not in Job.known_layers."""
    error: str | None = None
    """The one-line error (with its hint after ' -- ') when the image could not be read."""


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
    from .claims import ClaimingCache

    cache = ClaimingCache(persistent=job.use_cache, capture=PACKAGE_DATABASES)
    # every file hashed: content duplicated across layers is found by its hash
    reading = ReadOptions(capture=PACKAGE_DATABASES, hash_every_file=True)
    source = open_source(job.ref, job.platform, job.access)
    try:
        image = source.read(None, cache, reading)
    finally:
        cache.release_all()
    analysis = analyze(image)
    report = replace(analysis.report, findings=run_rules_in(RuleContext(analysis)))
    wanted = {layer.diff_id for layer in image.layers} - job.known_layers
    return Outcome(job.ref, summarize(report), layer_files(image, wanted))
