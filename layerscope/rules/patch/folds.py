"""Folding RUNs: which instructions between a writer and its clean-up can stand aside (moved
after the folded RUN) without changing what the image does, and the folded text."""

from __future__ import annotations

import posixpath
import re

from .align import FLAG, copy_destination
from .dockerfile import Dockerfile, Instruction
from .edits import CONTINUATION

MOVABLE = frozenset({"LABEL", "EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL",
                     "MAINTAINER", "ONBUILD"})
"""Metadata whose place relative to a RUN changes nothing the RUN does."""
STATEFUL = re.compile(r"(?:^|[;&|(]\s*|\n\s*)(?:cd|export|set|source|\.|umask|unset)\s")


def _names(value: str) -> list[str]:
    words = value.split()
    if words and "=" not in words[0]:
        return [words[0]]
    return [word.split("=", 1)[0] for word in words if "=" in word]


def blocker(dockerfile: Dockerfile, bodies: dict[int, str], first: int, last: int,
            paths: tuple[str, ...]) -> str | None:
    """Why stage[first..last] cannot become one RUN (None: it can). RUNs are joined in order;
    any other instruction between them moves below the folded RUN, which is safe only when no
    later RUN of the range depends on it and it does not touch the finding's paths."""
    stage = dockerfile.stage
    where = dockerfile.location
    for p in range(first, last + 1):
        ins = stage[p]
        later = [bodies[q] for q in range(p + 1, last + 1) if stage[q].keyword == "RUN"]
        if ins.keyword == "RUN":
            if p != first and FLAG.match(ins.value.strip() + " "):
                return f"the RUN at {where(ins.start)} has flags of its own (--mount, ...)"
            if p != first and ins.heredoc:
                return f"the RUN at {where(ins.start)} is a heredoc script"
            continue
        reason = _stays(ins, later, paths)
        if reason:
            return f"{ins.keyword} at {where(ins.start)} {reason}"
    return None


def _stays(ins: Instruction, later: list[str], paths: tuple[str, ...]) -> str | None:
    if ins.keyword in MOVABLE:
        return None
    if ins.keyword in ("ENV", "ARG"):
        for name in _names(ins.value):
            if any(re.search(rf"\$\{{?{re.escape(name)}\b", body) for body in later):
                return f"sets {name}, which a later RUN of the fold uses"
        return None
    if ins.keyword == "WORKDIR":
        return "uses a variable" if "$" in ins.value else None
    if ins.keyword in ("COPY", "ADD"):
        destination = copy_destination(ins.value).rstrip("/")
        if not destination.startswith("/"):
            return "copies to a relative path"
        if any(p == destination or p.startswith(destination + "/") or
               destination.startswith(p.rstrip("/") + "/") for p in paths):
            return f"writes {destination}, where the folded steps' files are"
        base = posixpath.basename(destination)
        if any(destination in body or (len(base) > 2 and base in body) for body in later):
            return f"brings in {destination}, which a later RUN of the fold may use"
        return None
    return "changes how a later RUN runs (USER, SHELL, VOLUME)"


def folded_text(dockerfile: Dockerfile, bodies: dict[int, str], first: int, last: int,
                flags: str = "") -> str:
    """stage[first..last] as one RUN (comment lines kept inside it, where they stood; flags
    before the first RUN's body) followed by the instructions that stood between, in order."""
    stage = dockerfile.stage
    lines = dockerfile.lines
    parts: list[str] = []
    moved: list[str] = []
    workdir_pending: list[str] = []
    runs = [p for p in range(first, last + 1) if stage[p].keyword == "RUN"]
    for p in range(first, last + 1):
        ins = stage[p]
        leading = "".join(lines[stage[p - 1].end: ins.start - 1]) if p > first else ""
        if ins.keyword != "RUN":
            moved.append(leading + "".join(lines[ins.start - 1: ins.end]))
            if ins.keyword == "WORKDIR":
                workdir_pending.append(ins.value.strip())
            continue
        body = bodies[p].rstrip()
        if p != runs[-1] and STATEFUL.search(body):
            body = "(" + body + ")"  # separate RUNs never shared a directory or variables
        for directory in workdir_pending:
            body = f"mkdir -p {directory} && cd {directory} && {body}"
        workdir_pending = []
        comments = "".join("    " + line.lstrip() for line in leading.splitlines(keepends=True)
                           if line.strip().startswith("#"))
        parts.append((comments, re.sub(r"\s*\\\s*$", "", body)))
    if stage[first].heredoc:
        script = parts[0][1].split("\n")
        extra = ["".join(line.lstrip() for line in comments.splitlines(keepends=True)) + body
                 for comments, body in parts[1:]]
        text = "RUN " + flags + "\n".join(script[:-1] + extra + script[-1:]) + "\n"
    else:
        text = "RUN " + flags + parts[0][1]
        for comments, body in parts[1:]:
            text += " && \\\n" + comments + "    " + body if comments else CONTINUATION + body
        text += "\n"
    return text + "".join(moved)
