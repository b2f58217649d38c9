"""`layerscope explore IMAGE [IMAGE_B]`: the interactive explorer (Textual, imported here only)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.util import find_spec

from ..errors import UsageError
from .reading import (
    ReadingOptions,
    base_digests,
    progress_for,
    read_merged,
    reading_for,
    source_for,
)


@dataclass(frozen=True, kw_only=True)
class ExploreOptions(ReadingOptions):
    """What `explore` was asked for."""

    image: str
    """The image reference, as typed."""
    image_b: str | None = None
    """A second image: explore the changes from `image` to it instead."""


def require_textual() -> None:
    """Textual comes with the `explore` extra; say so rather than fail on an import."""
    if find_spec("textual") is None:
        raise UsageError("explore needs Textual, which is not installed",
                         hint="pip install 'layerscope[explore]'")


def require_terminal(options: ExploreOptions) -> None:
    """Refuse to start a full-screen app where nobody can see or drive it."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        return
    if options.image_b is None:
        hint = f"for a report, run `layerscope inspect {options.image}`"
    else:
        hint = f"for a report, run `layerscope diff {options.image} {options.image_b}`"
    raise UsageError("explore needs a terminal: its input and output must both be one", hint=hint)


def build_app(options: ExploreOptions, progress, cache, reading):
    """Read and analyse the image (or both images) and make the app that shows them."""
    from ..analysis.image_report import analyze

    if options.image_b is not None:
        from ..analysis.diff import diff_images
        from ..explore.diff_app import DiffApp
        from .diff import read_both
        from .reading import registry_access

        image_a, image_b = read_both(options.image, options.image_b, options.platform, progress,
                                     cache, reading, registry_access(options))
        return DiffApp(diff_images(analyze(image_a), analyze(image_b)))
    from ..analysis.step_tree import StepTree
    from ..explore.app import ExploreApp
    from .inspect import with_findings

    base = base_digests(options, progress, reading)
    image, merged = read_merged(source_for(options.image, options), progress, cache, reading)
    analysis = analyze(image, base, merged)
    return ExploreApp(with_findings(analysis), StepTree(analysis))


def run(options: ExploreOptions) -> int:
    """Check for Textual and a terminal, read, then hand the terminal to the app until it
    quits."""
    require_textual()
    require_terminal(options)
    cache, reading = reading_for(options, compared=options.image_b is not None)
    with progress_for(options) as progress:
        app = build_app(options, progress, cache, reading)
    app.run()
    return 0 if not app.return_code else 2  # Textual has shown what failed
