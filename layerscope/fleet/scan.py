"""`fleet scan`: the targets' images into the fleet database. Images whose ID the database
holds are not read again; of the others, one per stack key the client can tell from metadata
goes to the executor, a few at a time (so each task knows the layers stored by the ones before
it), and the other images on its stack are recorded from its summary when it comes back."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, replace

from .describe import describe
from .executors import cluster_connection, executor_for, lost_task
from .jobs import Job, Outcome
from .store import FleetStore
from .task import analyse


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """What a scan reads, where it runs and where it writes."""

    targets: tuple[str, ...]
    """Image references, in order, without duplicates."""
    db: str
    """The DuckDB file."""
    platform: str | None = None
    """--platform for multi-platform references."""
    access: object = None
    """sources.registry_access.RegistryAccess for docker:// references."""
    jobs: int = 1
    """Worker processes on this machine (ignored with a cluster)."""
    cluster: str | None = None
    """tcp://SCHEDULER:8786 of a Dask cluster, or None."""
    use_cache: bool = True
    """Use the layer-index cache (on each worker)."""


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What one scan did."""

    scan_id: int
    """The scan's number in the database (scans.scan_id)."""
    targets: int
    """References asked for."""
    analysed: int
    """Images read and analysed by this run."""
    reused: int
    """Images whose ID the database already held (or an interrupted scan had recorded)."""
    errors: tuple[tuple[str, str], ...]
    """(reference, one-line error) of each image that could not be read."""


def scan(options: ScanOptions, progress: Callable[[str], None] | None = None) -> ScanResult:
    """Scan the targets into the database; see the module docstring."""
    with cluster_connection(options.cluster) as cluster:   # made while the database opens
        store = FleetStore(options.db)
        try:
            return _scan(store, options, progress, cluster)
        finally:
            store.close()


def _scan(store: FleetStore, options: ScanOptions, progress, cluster) -> ScanResult:
    scan_id, done = store.open_scan(len(options.targets))
    queue, same, followers, reused = _plan(store, scan_id, options, done)
    analysed = 0
    stacks: dict[str, object] = {}   # stack key -> a summary computed in this scan
    with executor_for(cluster, options.jobs, len(queue)) as (executor, window):
        running = {}
        position = 0
        while position < len(queue) or running:
            while position < len(queue) and len(running) < window:
                ref, image_id, stack = queue[position]
                position += 1
                job = Job(ref, options.platform, options.access, store.known_layers(),
                          options.use_cache, frozenset(stacks))
                running[executor.submit(analyse, job)] = (ref, image_id, stack)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                ref, image_id, stack = running.pop(future)
                outcome = _summarised(_result(future, ref), stacks)
                counts = [_record(store, scan_id, outcome, same.pop(image_id, []))]
                for other_ref, other_id in followers.pop(stack, []):
                    if outcome.summary is None:   # its own read is the judge of each
                        queue.append((other_ref, other_id, None))
                        continue
                    counts.append(_record(store, scan_id, replace(
                        outcome, ref=other_ref, files=(), image_id=other_id,
                        summary=replace(outcome.summary, image_id=other_id)),
                        same.pop(other_id, [])))
                analysed += sum(count[0] for count in counts)
                reused += sum(count[1] for count in counts)
                if progress:
                    progress(f"fleet: {analysed + reused} of {len(options.targets)} images")
    store.finish_scan(scan_id, analysed, reused)
    errors = store.query("SELECT ref, error FROM scan_images WHERE scan_id = ? AND error IS NOT NULL "
                         "ORDER BY ref", [scan_id])
    return ScanResult(scan_id, len(options.targets), analysed, reused, tuple(errors))


def _plan(store: FleetStore, scan_id: int, options: ScanOptions, done: set[str]):
    """(tasks to run as (ref, image ID, stack key), image ID -> its other refs, stack key ->
    (ref, image ID) of the images that wait for its summary, refs reused): each image once,
    each stack key the client can tell once; images the database holds are recorded now."""
    known = store.known_images()
    reused = len(done)
    same: dict[str, list[str]] = {}
    followers: dict[str, list[tuple[str, str]]] = {}
    queue: list[tuple[str, str | None, str | None]] = []
    for ref in options.targets:
        if ref in done:
            continue
        image_id, stack = describe(ref, options.platform, options.access)
        if image_id in known:
            store.record_reused(scan_id, ref, image_id)
            reused += 1
        elif image_id is not None and image_id in same:
            same[image_id].append(ref)
        else:
            if image_id is not None:
                same[image_id] = []
            if stack in followers:
                followers[stack].append((ref, image_id))
                continue
            if stack is not None:
                followers[stack] = []
            queue.append((ref, image_id, stack))
    return queue, same, followers, reused


def _result(future, ref: str) -> Outcome:
    """The task's outcome; a task the cluster gave up on is that image's error."""
    try:
        return future.result()
    except Exception as error:  # the cluster says "gave up" with its own class: look at it
        message = lost_task(error)
        if message is None:
            raise
        return Outcome(ref, None, error=message)


def _summarised(outcome: Outcome, stacks: dict) -> Outcome:
    """The outcome with its summary: computed by the worker (and kept for the images after it
    with the same stack key) or, for a known key, the kept one under this image's ID."""
    if outcome.error is not None or outcome.stack is None:
        return outcome
    if outcome.summary is not None:
        stacks.setdefault(outcome.stack, outcome.summary)
        return outcome
    return replace(outcome, summary=replace(stacks[outcome.stack], image_id=outcome.image_id))


def _record(store: FleetStore, scan_id: int, outcome: Outcome,
            others: list[str]) -> tuple[int, int]:
    """Store one outcome under its ref and the other refs of its image: (analysed, reused)."""
    if outcome.summary is None:
        for ref in (outcome.ref, *others):
            store.record_error(scan_id, ref, None, outcome.error or "unreadable")
        return 0, 0
    store.record_image(scan_id, outcome.ref, outcome.summary, outcome.files)
    for ref in others:
        store.record_reused(scan_id, ref, outcome.summary.image_id)
    return 1, len(others)
