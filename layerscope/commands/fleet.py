"""`layerscope fleet scan|report`: many images into one DuckDB file, and the fleet report."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..formats.base import RenderOptions, formatter
from ..output import check_writable, write_report


@dataclass(frozen=True, kw_only=True)
class FleetScanOptions:
    """What `fleet scan` was asked for."""

    refs: tuple[str, ...] = ()
    """Image references given on the command line."""
    from_file: str | None = None
    """A file of references, one a line (`-`: stdin)."""
    all_local: bool = False
    """Every image of the local engine."""
    registry: str | None = None
    """docker://HOST[/PREFIX]: every repository and tag of a registry's catalog."""
    tags: str = "*"
    """Glob the registry's tags must match."""
    db: str
    """The DuckDB file."""
    jobs: int | None = None
    """Worker processes on this machine; None: one per core."""
    cluster: str | None = None
    """tcp://SCHEDULER:8786 of a Dask cluster."""
    platform: str | None = None
    """--platform for multi-platform references."""
    no_cache: bool = False
    """Do not use the layer-index cache."""
    quiet: bool = False
    """Nothing on stderr but errors."""
    no_progress: bool = False
    """No progress line."""
    creds: str | None = field(default=None, repr=False)
    """USER[:PASSWORD] for docker:// registries."""
    tls_verify: bool = True
    """Verify registries' TLS certificates."""
    cert_dir: str | None = None
    """CA certificates for registries."""


@dataclass(frozen=True, kw_only=True)
class FleetReportOptions:
    """What `fleet report` was asked for."""

    db: str
    """The DuckDB file."""
    format: str = "text"
    """Report format name."""
    output: str | None = None
    """File to write the report to; None: stdout."""
    top: int = 10
    """Rows of each ranking in human formats."""
    scan: int | None = None
    """The scan to report; None: the latest finished."""


def targets(options: FleetScanOptions, access) -> tuple[str, ...]:
    """Every reference the options name, in order, each once."""
    from ..errors import UsageError
    from ..fleet import targets as found

    refs = list(options.refs)
    if options.from_file:
        refs += found.from_file(options.from_file)
    if options.all_local:
        refs += found.all_local()
    if options.registry:
        refs += found.from_registry(options.registry, options.tags, access)
    if not refs:
        raise UsageError("no images to scan",
                         hint="give references, --from FILE, --all-local or --registry docker://HOST")
    return found.unique(refs)


def run_scan(options: FleetScanOptions) -> int:
    """Scan; 0 when every image was read, fleet.PARTIAL_EXIT when some could not be."""
    from ..fleet import PARTIAL_EXIT
    from ..fleet.executors import default_jobs
    from ..fleet.scan import ScanOptions, scan
    from ..sources.registry_access import RegistryAccess
    from .reading import progress_for

    access = RegistryAccess(options.creds, options.tls_verify, options.cert_dir)
    refs = targets(options, access)
    with progress_for(options) as progress:
        result = scan(ScanOptions(refs, options.db, options.platform, access,
                                  options.jobs or default_jobs(), options.cluster,
                                  not options.no_cache), progress)
    lines = [f"scan {result.scan_id}: {result.targets} images, {result.analysed} analysed, "
             f"{result.reused} unchanged, {len(result.errors)} failed -> {options.db}"]
    lines += [f"failed: {ref}: {error}" for ref, error in result.errors]
    write_report("\n".join(lines) + "\n", None)
    return PARTIAL_EXIT if result.errors else 0


def run_report(options: FleetReportOptions) -> int:
    """Read the scan's rows, aggregate, render, write."""
    from ..analysis.fleet import fleet_report
    from ..fleet.report_rows import report_rows
    from ..fleet.store import FleetStore

    if options.output is not None:
        check_writable(options.output)
    render = formatter("fleet", options.format)
    store = FleetStore(options.db, read_only=True)
    try:
        report = fleet_report(report_rows(store, options.scan))
    finally:
        store.close()
    write_report(render(report, RenderOptions(top=options.top)), options.output)
    return 0

