"""check for GitHub Actions: workflow-command annotations, and a job summary in Markdown.

Failures become `::error`, skipped budgets `::warning`; passing budgets are plain log lines.
When GITHUB_STEP_SUMMARY names a file, append_step_summary adds the Markdown report to it."""

from __future__ import annotations

import os

from ..errors import FormatError
from ..rules.budgets.base import CheckResult, Status
from .base import RenderOptions
from .check_view import STATUS_WORD, contributor_bytes, contributor_text, headline, image_name


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_check(result: CheckResult, options: RenderOptions) -> str:
    name = image_name(result)
    lines = []
    for item in result.results:
        title = escape_property(f"layerscope check {item.name} ({name})")
        if item.status is Status.FAIL:
            body = [item.message] + [f"{contributor_bytes(c)}  {contributor_text(c, 100)}"
                                     for c in item.contributors]
            lines.append(f"::error title={title}::{escape_data(chr(10).join(body))}")
        elif item.status is Status.SKIP:
            lines.append(f"::warning title={title}::{escape_data(item.message)}")
        else:
            lines.append(f"{STATUS_WORD[item.status]}  {item.name}: {item.message}")
    lines.append(f"layerscope check {name}: {headline(result)}")
    return "\n".join(lines) + "\n"


def append_step_summary(result: CheckResult, options: RenderOptions,
                        environ: dict[str, str] | None = None) -> str | None:
    """Append the Markdown report to $GITHUB_STEP_SUMMARY when it is set; return the path."""
    from .check_markdown import render_check as render_markdown

    path = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not path:
        return None
    try:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(render_markdown(result, options) + "\n")
    except OSError as error:
        raise FormatError(f"cannot append to GITHUB_STEP_SUMMARY ({path}): "
                          f"{error.strerror or error}") from error
    return path
