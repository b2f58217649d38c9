"""Which Dockerfile instruction made which history step, and whether the Dockerfile is the
image's at all. Walked from the end: the final stage's last instruction is the image's last
step. Builders record steps differently (the legacy builder: `ADD file:<hash> in /dest`, RUN
text with `${VAR}` unexpanded, `CMD ["a" "b"]`; BuildKit: `COPY src dest`, no ARG steps), so
each keyword is compared on what every builder keeps, and `$VAR`s match anything."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ...analysis.steps import instruction_keyword
from ..base import RuleError
from .dockerfile import Dockerfile, Instruction

LAYER_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
"""A mismatch of these is an error: the findings are about their layers."""
VARIABLE = re.compile(r"\$(?:\{[A-Za-z_][A-Za-z0-9_]*(?::?[-+?][^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)")
FLAG = re.compile(r"^(?:--[a-z-]+(?:=\S*)?\s+)+")
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Alignment:
    """Step index -> the instruction that made it, and what did not quite match."""

    steps: dict[int, Instruction] = field(default_factory=dict)
    """History index -> instruction of the final stage."""
    warnings: tuple[str, ...] = ()
    """Partial matches: metadata instructions that differ from what the image recorded."""


def _pattern(text: str) -> re.Pattern:
    """text as a pattern: runs of blanks match any blanks, a $VARIABLE matches anything."""
    parts = []
    for index, piece in enumerate(VARIABLE.split(" ".join(text.split()))):
        if index:
            parts.append(".*?")
        parts.append(r"\s+".join(re.escape(word) for word in piece.split(" ")))
    return re.compile("".join(parts), re.DOTALL)


def _same(dockerfile_text: str, recorded: str) -> bool:
    return _pattern(dockerfile_text).fullmatch(" ".join(recorded.split())) is not None


def _tokens(value: str) -> list[str]:
    """An exec-form or shell-form CMD/ENTRYPOINT/SHELL as the argument list it records."""
    value = value.strip()
    if value.startswith("["):
        try:
            return [str(item) for item in json.loads(value)]
        except ValueError:
            pass
    return ["/bin/sh", "-c", value]


def copy_destination(value: str) -> str:
    value = FLAG.sub("", value.strip() + " ")
    if value.startswith("["):
        try:
            return str(json.loads(value)[-1])
        except (ValueError, IndexError):
            return ""
    words = value.split()
    return words[-1] if words else ""


def matches(instruction: Instruction, recorded: str) -> bool:
    """Whether a step's readable instruction can have come from this Dockerfile instruction."""
    keyword = instruction_keyword(recorded) or "RUN"
    if keyword != instruction.keyword:
        return False
    body = recorded[len(keyword):].strip()
    value = instruction.value
    if keyword == "RUN":
        if instruction.heredoc:
            return True  # builders record a heredoc's script in their own ways
        value = FLAG.sub("", value.strip() + " ").strip()
        if value.startswith("["):
            value = " ".join(_tokens(value))
        return _same(value, body)
    if keyword in ("COPY", "ADD"):
        wanted = copy_destination(value).rstrip("/") or "/"
        got = (body.rsplit(" in ", 1)[-1] if " in " in body else body.split()[-1]).rstrip("/")
        got = got or "/"
        return _same(wanted, got) or (not wanted.startswith("/") and got.endswith(wanted))
    if keyword in ("CMD", "ENTRYPOINT", "SHELL"):
        recorded_tokens = [t.encode().decode("unicode_escape") for t in QUOTED.findall(body)]
        wanted_tokens = _tokens(value)
        return len(recorded_tokens) == len(wanted_tokens) and all(
            _same(w, r) for w, r in zip(wanted_tokens, recorded_tokens))
    if keyword in ("ENV", "LABEL", "ARG"):
        return _names(value) == _names(body)
    return _same(value, body)


def _names(value: str) -> list[str]:
    """The names an ENV/LABEL/ARG sets (`A=1 B=2`, or the old `A 1` form)."""
    words = value.split()
    if words and "=" not in words[0]:
        return [words[0]]
    return [word.split("=", 1)[0] for word in words if "=" in word]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(index: int, recorded: str) -> str:
    return f"step {index} ({_short(recorded)})"


def align(dockerfile: Dockerfile, steps: list[tuple[int, str, bool]], image: str) -> Alignment:
    """Match the final stage to the image's steps from the end. A RUN/COPY/ADD that differs is
    an error naming the step; a metadata instruction that differs (an ENV value, a CMD) is a
    warning; ARGs may have no step (BuildKit records none)."""
    aligned: dict[int, Instruction] = {}
    warnings: list[str] = []
    i = len(steps) - 1
    for instruction in reversed(dockerfile.stage):
        where = dockerfile.location(instruction.start)
        if i < 0:
            if instruction.keyword == "ARG":
                continue
            raise RuleError(f"--dockerfile {dockerfile.path} does not match {image}: {where} "
                            f"({instruction.keyword}) has no step in the image",
                            hint="pass the Dockerfile the image was built from")
        index, recorded, _ = steps[i]
        keyword = instruction_keyword(recorded) or "RUN"
        if keyword != instruction.keyword and instruction.keyword == "ARG":
            continue
        if keyword == instruction.keyword and matches(instruction, recorded):
            aligned[index] = instruction
        elif keyword == instruction.keyword and keyword not in LAYER_KEYWORDS:
            warnings.append(f"{where}: {instruction.keyword} differs from {_describe(index, recorded)}"
                            "; the image was built from another version of it")
            aligned[index] = instruction
        else:
            raise RuleError(f"--dockerfile {dockerfile.path} does not match {image}: "
                            f"{_describe(index, recorded)} differs from {where} "
                            f"({_short(instruction.keyword + ' ' + instruction.value)})",
                            hint="pass the Dockerfile the image was built from (its final stage "
                                 "makes the image's last steps)")
        i -= 1
    return Alignment(aligned, tuple(warnings))
