"""LS002: files brought in by COPY/ADD and deleted by a later step."""

from .base import WARNING, Rule
from .dead_pairs import pair_findings, summarize_kinds


def describe(context, pair) -> str:
    return (f"step {pair.writer} copied {pair.bytes:,} bytes into the image that step "
            f"{pair.killer} deleted ({summarize_kinds(pair)})")


def check(context):
    return pair_findings(
        context, RULE,
        "do not copy them into a layer: use RUN --mount=type=bind,source=...,target=... in the "
        "step that needs them, a build stage (COPY --from), or exclude them in .dockerignore",
        describe)


RULE = Rule("LS002", WARNING, "copied then deleted", check,
            "COPY/ADD put files in a layer that a later RUN deleted; they still ship.")
