"""The body of one fleet task: read and analyse one image, wherever it runs (this process, a
local worker process or a Dask worker), and send back only the compact summary and the entries
of layers the database does not hold yet.

Only workers import this module (the client submits fleet.jobs.analyse, which comes here), so
it imports the reading and analysis stack up front: a cluster's workers load it once, when they
first import layerscope, not inside the first task of every scan."""

from __future__ import annotations

from dataclasses import replace

from ..analysis.fleet_summary import layer_files, summarize
from ..analysis.image_report import analyze
from ..analysis.packages import PACKAGE_DATABASES
from ..errors import LayerscopeError
from ..layers.limits import ReadOptions
from ..rules import RuleContext, registry, run_rules_in
from ..sources.reference import open_source
from .claims import ClaimingCache
from .jobs import Job, Outcome, stack_key


def run(job: Job) -> Outcome:
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


_CACHES: dict = {}


def _cache(persistent: bool, capture):
    """One cache a worker process (per cache directory): its size cap is enforced once, not
    once an image."""
    from pathlib import Path

    from ..layers.cachedir import cache_directory

    key = (persistent, cache_directory())
    if key not in _CACHES:
        _CACHES[key] = ClaimingCache(Path(key[1]), persistent=persistent, capture=capture)
    return _CACHES[key]


registry()  # the rule modules, loaded on first use elsewhere: here with the rest (see above)
