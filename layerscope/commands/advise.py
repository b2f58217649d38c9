"""`layerscope advise IMAGE`: the Dockerfile refactorings, each with the bytes it would save."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError
from ..formats.base import RenderOptions, formatter
from ..output import check_writable, write_report
from .advise_check import build_args
from .reading import (
    ReadingOptions,
    base_digests,
    progress_for,
    read_merged,
    reading_for,
    source_for,
)


@dataclass(frozen=True, kw_only=True)
class AdviseOptions(ReadingOptions):
    """What `advise` was asked for."""

    image: str | None = None
    """The image reference; may be omitted only with list_rules."""
    dockerfile: str | None = None
    """The Dockerfile the image was built from."""
    patch: bool = False
    """Write a unified diff of the mechanical fixes instead of the report."""
    check_patch: bool = False
    """Build the patched Dockerfile on the engine and report its real saving."""
    context: str | None = None
    """--check-patch's build context (default: the Dockerfile's directory)."""
    build_arg: tuple[str, ...] = ()
    """--check-patch's --build-arg NAME=VALUE values."""
    network: str | None = None
    """--check-patch's build network (docker build --network)."""
    ignore: tuple[str, ...] = ()
    """--ignore values as given (ID or ID,ID)."""
    config: str | None = None
    """--config FILE, else the config file found in the current directory."""
    list_rules: bool = False
    """List the rules and stop."""
    format: str = "text"
    """Report format name."""
    output: str | None = None
    """File to write the report (or the patch) to; None: stdout."""
    top: int = 5
    """Paths and packages listed under each finding in text."""


def ignored_rules(options: AdviseOptions) -> list[str]:
    """The rule IDs not to run: --ignore and the config's `ignore`, validated, sorted."""
    from ..rules import registry, unknown_ids
    from ..settings import advise_ignore

    ignore = [part.strip().upper() for item in options.ignore for part in item.split(",")
              if part.strip()]
    bad = unknown_ids(ignore)
    if bad:
        raise UsageError(f"--ignore {bad[0]}: no such rule", hint="rules: " + ", ".join(registry()))
    for flag, given in (("--patch", options.patch), ("--check-patch", options.check_patch)):
        if given and not options.dockerfile:
            raise UsageError(f"{flag} needs --dockerfile PATH", hint="the patch edits that Dockerfile")
    return sorted(set(ignore) | {i.upper() for i in advise_ignore(options.config)})


def advise(options: AdviseOptions, ignore: list[str], progress, cache, reading):
    """The advise report (with the patch when asked for)."""
    from ..analysis.image_report import analyze
    from ..rules.advise import advise as advise_image

    image, merged = read_merged(source_for(options.image, options), progress, cache, reading)
    base = base_digests(options, progress, reading)
    return advise_image(analyze(image, base, merged), ignore, options.dockerfile,
                        options.patch or options.check_patch)


def run(options: AdviseOptions) -> int:
    """Advise, then write the report or the patch; or list the rules."""
    if options.list_rules:
        from ..rules import registry

        lines = [f"{r.id}  {r.severity:<7}  {r.title}" for r in registry().values()]
        write_report("\n".join(lines) + "\n", options.output)
        return 0
    if not options.image:
        raise UsageError("the following arguments are required: IMAGE",
                         hint="see `layerscope advise --help`")
    if options.output is not None:
        check_writable(options.output)
    ignore = ignored_rules(options)
    cache, reading = reading_for(options)
    args = build_args(options.build_arg)
    with progress_for(options) as progress:
        report = advise(options, ignore, progress, cache, reading)
    if not options.quiet:
        _tell(report, options)
    if options.check_patch:
        from dataclasses import replace

        from .advise_check import check_patch

        checked = check_patch(report.patch.patched, options.dockerfile, options.context, args,
                              options.network, report.size, report.patch.saving)
        report = replace(report, patch=replace(report.patch, check=checked))
    if options.patch and options.format == "text" and not options.check_patch:
        write_report(report.patch.text, options.output)
    else:
        write_report(formatter("advise", options.format)(report, RenderOptions(top=options.top)),
                     options.output)
    return 0


def _tell(report, options: AdviseOptions) -> None:
    """On stderr: how the Dockerfile only partly matches, and what --patch leaves unfixed."""
    import sys

    for warning in report.warnings:
        sys.stderr.write(f"layerscope: warning: {warning}\n")
    if report.patch is None or options.format != "text":
        return
    for finding, reason in report.patch.unfixed:
        where = ", ".join(f"{report.dockerfile}:{line}" for line in finding.lines) or \
            "step " + ",".join(map(str, finding.steps))
        sys.stderr.write(f"layerscope: not in the patch: {finding.rule} ({where}): {reason}\n")
