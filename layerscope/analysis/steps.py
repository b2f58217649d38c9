"""History <-> layer alignment and readable instruction text for every common builder."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import HistoryEntry, Image

NOP_PREFIX = re.compile(r"^/bin/sh -c #\(nop\)\s*")
BUILD_ARGS_PREFIX = re.compile(r"^\|\d+(?:\s+\S+=\S*)*\s+")
SHELL_PREFIX = re.compile(r"^(?:/bin/(?:ba)?sh|sh|bash) -c\s+")
BUILDKIT_SUFFIX = re.compile(r"\s*# buildkit$")
KEYWORDS = frozenset(
    "ADD ARG CMD COPY ENTRYPOINT ENV EXPOSE HEALTHCHECK LABEL MAINTAINER ONBUILD RUN SHELL "
    "STOPSIGNAL USER VOLUME WORKDIR FROM".split()
)
UMOCI = re.compile(r"^umoci (?:insert|repack|config|raw|new|init)\b")
IMPORT_ADD = re.compile(r"^ADD file:[0-9a-f]+ in /$")
NO_HISTORY = "(no history recorded for this layer)"
IMPORTED = "(imported)"
COMMITTED = "(buildah commit)"
PODMAN_IMPORT_COMMENT = "imported from tarball"


def readable_instruction(entry: HistoryEntry) -> str:
    """Turn a builder's created_by into the Dockerfile instruction a user would recognise.

    Handles the legacy builder (``/bin/sh -c #(nop)  COPY ...`` and bare shell commands for RUN),
    BuildKit (``RUN /bin/sh -c ... # buildkit``, ``|2 A=b /bin/sh -c ...``, heredocs), kaniko
    and buildah (which write the instruction keyword themselves, or the legacy forms), `docker
    import` and `podman import` (an ADD of the tarball with the comment "imported from
    tarball"), a bare `buildah commit` (its created_by is the container's command, its comment
    `FROM <base>`) and umoci's own steps (`umoci insert`, `umoci repack`: no shell ran).
    """
    text = BUILDKIT_SUFFIX.sub("", entry.created_by.strip())
    comment = entry.comment.strip()
    if not text:
        return f"{IMPORTED} {comment}" if comment else "(no instruction recorded)"
    nop = NOP_PREFIX.match(text)
    if nop:
        text = text[nop.end():].strip()
        if comment == PODMAN_IMPORT_COMMENT and IMPORT_ADD.match(text):
            return f"{IMPORTED} {comment}"
        return _one_line(text)
    if UMOCI.match(text):
        return text
    keyword = text.split(maxsplit=1)[0]
    if keyword in KEYWORDS and keyword != "RUN":
        return _one_line(text)
    if keyword != "RUN" and comment.startswith("FROM ") and not SHELL_PREFIX.match(
            BUILD_ARGS_PREFIX.sub("", text)):
        return COMMITTED  # `buildah commit` records the container's command, nothing it ran
    if keyword == "RUN":
        text = text[3:].strip()
    text = BUILD_ARGS_PREFIX.sub("", text)
    text = SHELL_PREFIX.sub("", text, count=1)
    return _one_line(f"RUN {text.strip()}")


def _one_line(text: str) -> str:
    """A heredoc (BuildKit's `RUN <<EOF`) keeps its lines in created_by; a table row cannot, so
    each line break is written as the two characters \\n."""
    return text.replace("\r\n", "\n").replace("\n", "\\n") if "\n" in text else text


def instruction_keyword(instruction: str) -> str:
    """The leading Dockerfile keyword of a readable instruction, or "" when it has none."""
    first = instruction.split(maxsplit=1)[0] if instruction else ""
    return first if first in KEYWORDS else ""


@dataclass(frozen=True, slots=True)
class Step:
    """One history entry aligned with the layer it produced (if any)."""

    index: int
    """Position in the aligned history, oldest first."""
    instruction: str
    """Readable instruction text."""
    created_by: str
    """The raw created_by text as recorded by the builder."""
    empty_layer: bool
    """True when the step produced no layer."""
    layer: int | None
    """Index of the layer this step produced, or None."""
    history_missing: bool = False
    """True when the image had no history entry for this layer and one was synthesised."""
    comment: str = ""
    """The builder's comment on the step (buildah's `FROM <base>`, an import's note)."""


def image_steps(image: Image) -> tuple[Step, ...]:
    """Pair history entries with layers in order.

    Empty-layer entries carry no layer. Layers beyond the recorded history get synthesised steps
    marked ``history_missing``; history entries beyond the layers are kept, without a layer.
    """
    steps: list[Step] = []
    next_layer = 0
    layer_count = len(image.layers)
    for entry in image.history:
        layer = None
        if not entry.empty_layer and next_layer < layer_count:
            layer = next_layer
            next_layer += 1
        steps.append(
            Step(len(steps), readable_instruction(entry), entry.created_by, layer is None, layer,
                 comment=entry.comment)
        )
    while next_layer < layer_count:
        steps.append(Step(len(steps), NO_HISTORY, "", False, next_layer, history_missing=True))
        next_layer += 1
    return tuple(steps)
