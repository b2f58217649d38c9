"""--dockerfile: align history steps to the final stage's instructions, and --patch: a unified
diff of the mechanical fixes. Parsing is dockerfile-parse's (line continuations, heredocs)."""

from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass, replace

from ..analysis.steps import instruction_keyword
from .base import Finding, RuleError

FOLDING_RULES = ("LS001", "LS003")
EDITING_RULES = ("LS004", "LS005", "LS006")
MECHANICAL_RULES = FOLDING_RULES + EDITING_RULES
"""The rules whose fixes --patch writes."""


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction of the final stage."""

    keyword: str
    """RUN, COPY, ..."""
    start: int
    """First line, 1-based."""
    end: int
    """Last line, 1-based."""
    value: str
    """The instruction's arguments, continuations joined."""


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile: its text and the final stage's instructions after FROM."""

    path: str
    lines: tuple[str, ...]
    stage: tuple[Instruction, ...]


def read_dockerfile(path: str) -> Dockerfile:
    """Parse PATH with dockerfile-parse; the final stage is what the image's steps come from."""
    from dockerfile_parse import DockerfileParser

    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise RuleError(f"cannot read --dockerfile {path}: {error.strerror or error}") from error
    parser = DockerfileParser(fileobj=io.BytesIO(data), env_replace=False)
    structure = [s for s in parser.structure if s["instruction"] != "COMMENT"]
    froms = [i for i, s in enumerate(structure) if s["instruction"] == "FROM"]
    if not froms:
        raise RuleError(f"--dockerfile {path} has no FROM instruction")
    stage = tuple(Instruction(s["instruction"].upper(), s["startline"] + 1, s["endline"] + 1,
                              s["value"]) for s in structure[froms[-1] + 1:])
    text = data.decode("utf-8", "replace")
    return Dockerfile(path, tuple(text.splitlines(keepends=True)), stage)


def align(dockerfile: Dockerfile,
          instructions: list[tuple[int, str, bool]]) -> dict[int, Instruction]:
    """Step index -> instruction, for the user's steps (not base), matched from the end by
    keyword: the final stage's last instructions are the image's last history entries."""
    user = [(index, instruction_keyword(text) or "RUN") for index, text, base in instructions
            if not base]
    stage = list(dockerfile.stage)
    result: dict[int, Instruction] = {}
    j = len(stage) - 1
    for index, keyword in reversed(user):
        k = j
        while k >= 0 and stage[k].keyword != keyword:
            k -= 1
        if k < 0:
            continue
        result[index] = stage[k]
        j = k - 1
    return result


def with_lines(findings: tuple[Finding, ...],
               aligned: dict[int, Instruction]) -> tuple[Finding, ...]:
    """Findings with the Dockerfile lines of their steps."""
    return tuple(replace(f, lines=tuple(aligned[s].start for s in f.steps if s in aligned))
                 for f in findings)


# ------------------------------------------------------------------------------ the patch


def _run_body(instruction: Instruction, lines: tuple[str, ...]) -> str:
    """The shell text of a RUN as written (continuations kept), without the keyword."""
    text = "".join(lines[instruction.start - 1: instruction.end]).rstrip("\n")
    return re.sub(r"^\s*RUN\s+", "", text, count=1)


def _folded(bodies: list[str]) -> str:
    parts = [re.sub(r"\s*\\\s*$", "", body.rstrip()) for body in bodies]
    return "RUN " + " && \\\n    ".join(parts) + "\n"


def _edit_run(body: str, rules: set[str]) -> str:
    if "LS006" in rules:
        body = re.sub(r"\b(apt(?:-get)?\s+(?:-\S+\s+)*install)\b(?![^&;|]*--no-install-recommends)",
                      r"\1 --no-install-recommends", body)
    if "LS005" in rules:
        body = re.sub(r"\b(pip3?\s+install)\b(?![^&;|]*--no-cache-dir)", r"\1 --no-cache-dir", body)
    if "LS004" in rules and re.search(r"apt(?:-get)?\s+update", body) \
            and "/var/lib/apt/lists" not in body:
        body = body.rstrip("\n").rstrip() + " && \\\n    rm -rf /var/lib/apt/lists/*"
    return body


def _folding_ranges(stage: list[Instruction], position: dict[int, int],
                    findings: tuple[Finding, ...], aligned: dict[int, Instruction],
                    ) -> list[list[int]]:
    """[first, last] stage positions of the RUN runs to fold into one, overlaps merged."""
    ranges: list[list[int]] = []
    for finding in findings:
        if finding.base or finding.rule not in FOLDING_RULES:
            continue
        ends = [aligned[s] for s in finding.steps if s in aligned]
        if len(ends) != 2:
            continue
        first, last = position[id(ends[0])], position[id(ends[1])]
        if all(stage[i].keyword == "RUN" for i in range(first, last + 1)):
            ranges.append([first, last])
    merged: list[list[int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged


def patch(dockerfile: Dockerfile, findings: tuple[Finding, ...],
          aligned: dict[int, Instruction]) -> str:
    """A unified diff (paths as given, for `patch -p0` and `git apply -p0`) of the mechanical
    fixes: fold clean-up and chmod steps into the RUN that wrote the bytes, add
    --no-install-recommends, rm -rf /var/lib/apt/lists/* after apt-get update, pip
    --no-cache-dir. Only user findings count; base findings have no Dockerfile fix."""
    stage = list(dockerfile.stage)
    position = {id(ins): i for i, ins in enumerate(stage)}
    merged = _folding_ranges(stage, position, findings, aligned)
    rules = {f.rule for f in findings if not f.base}
    touched_steps = {s for f in findings if not f.base and f.rule in EDITING_RULES
                     for s in f.steps}
    edit_positions = {position[id(aligned[s])] for s in touched_steps if s in aligned}

    new_lines = list(dockerfile.lines)
    replacements: list[tuple[int, int, str]] = []  # (first line, last line, new text), 1-based
    folded = set()
    for first, last in merged:
        bodies = [_run_body(stage[i], dockerfile.lines) for i in range(first, last + 1)]
        if edit_positions & set(range(first, last + 1)):
            bodies = [_edit_run(b, rules) for b in bodies]
        replacements.append((stage[first].start, stage[last].end, _folded(bodies)))
        folded |= set(range(first, last + 1))
    for i in sorted(edit_positions - folded):
        if stage[i].keyword != "RUN":
            continue
        body = _run_body(stage[i], dockerfile.lines)
        edited = _edit_run(body, rules)
        if edited != body:
            replacements.append((stage[i].start, stage[i].end, "RUN " + edited.rstrip("\n") + "\n"))
    for start, end, text in sorted(replacements, reverse=True):
        new_lines[start - 1: end] = text.splitlines(keepends=True)
    if new_lines == list(dockerfile.lines):
        return ""
    return "".join(difflib.unified_diff(list(dockerfile.lines), new_lines,
                                        fromfile=dockerfile.path, tofile=dockerfile.path))
