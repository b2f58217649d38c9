"""What in a Dockerfile only BuildKit builds: the patch's own `RUN --mount` and `COPY --chmod=`,
and whatever the Dockerfile already used (heredocs, other RUN flags). The legacy builder rejects
each of them, so --check-patch picks its builder by this list. (A `# syntax=` line is no such
feature: the legacy builder reads it as a comment.)"""

from __future__ import annotations

import re

from .dockerfile import HEREDOC

NOTE = "needs BuildKit (DOCKER_BUILDKIT=1 docker build, or docker buildx build)"
"""The end of the comment line the patch writes above an instruction it gives a BuildKit flag."""
INSTRUCTION = re.compile(r"^[ \t]*(RUN|COPY|ADD)[ \t]+((?:--[a-z-]+(?:=\S*)?[ \t]+)*)(.*)$",
                         re.IGNORECASE | re.MULTILINE)
BUILDKIT_FLAGS = {"RUN": ("--mount", "--network", "--security"),
                  "COPY": ("--chmod", "--link", "--parents", "--exclude"),
                  "ADD": ("--chmod", "--link", "--checksum", "--keep-git-dir")}


def note(rule: str, feature: str) -> str:
    """The comment line above an instruction the patch rewrote with a BuildKit-only feature."""
    return f"# layerscope {rule}: {feature} {NOTE}\n"


def features(text: str) -> tuple[str, ...]:
    """The BuildKit-only features text uses, sorted (none: the legacy builder builds it). Flags
    are read only where the builders read them: right after the keyword."""
    found: set[str] = set()
    for match in INSTRUCTION.finditer(text):
        keyword = match.group(1).upper()
        for flag in re.findall(r"--[a-z-]+", match.group(2)):
            if flag in BUILDKIT_FLAGS[keyword]:
                found.add(f"{keyword} {flag}")
        if HEREDOC.search(match.group(3)):
            found.add(f"{keyword} <<heredoc")
    return tuple(sorted(found))
