"""A Dockerfile read for alignment and patching: dockerfile-parse splits the instructions
(continuations, comment lines inside them); heredocs (`RUN <<EOF`), which it reads as one
instruction per body line, are joined back here."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from ..base import RuleError

HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction of the final stage."""

    keyword: str
    """RUN, COPY, ... (upper case)."""
    start: int
    """First line, 1-based."""
    end: int
    """Last line, 1-based (a heredoc's terminator included)."""
    value: str
    """The arguments, continuations joined, comment lines left out (a heredoc: its first line)."""
    heredoc: bool = False
    """True for `RUN <<EOF ... EOF`: its body is a script, not one shell command line."""


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile: its text and the final stage's instructions after its FROM."""

    path: str
    """The path as given (the patch's file name, the locations' prefix)."""
    lines: tuple[str, ...]
    """The text, line by line, line ends kept."""
    stage: tuple[Instruction, ...]
    """The final stage's instructions: only they map to the image's history."""
    global_args: tuple[str, ...] = ()
    """ARG values declared before the first FROM (NAME or NAME=default)."""

    def location(self, line: int) -> str:
        """PATH:LINE, as hadolint and compilers print it."""
        return f"{self.path}:{line}"


def _join_heredocs(structure: list[dict]) -> list[dict]:
    """dockerfile-parse reads a heredoc's body lines as instructions of their own: fold them
    back into the instruction that opened the heredoc, up to the terminator."""
    joined: list[dict] = []
    pending: list[str] = []
    for entry in structure:
        if pending:
            joined[-1]["endline"] = entry["endline"]
            word = entry["content"].strip()
            if word == pending[0]:
                pending.pop(0)
            continue
        if entry["instruction"] != "COMMENT":
            markers = HEREDOC.findall(entry["content"].splitlines()[0])
            if markers:
                entry = dict(entry, heredoc=True)
                pending = [name for _, _, name in markers]
        joined.append(entry)
    return joined


def read_dockerfile(path: str) -> Dockerfile:
    """Parse PATH; the final stage is what the image's steps come from."""
    from dockerfile_parse import DockerfileParser

    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise RuleError(f"cannot read --dockerfile {path}: {error.strerror or error}") from error
    parser = DockerfileParser(fileobj=io.BytesIO(data), env_replace=False)
    structure = [s for s in _join_heredocs(parser.structure) if s["instruction"] != "COMMENT"]
    froms = [i for i, s in enumerate(structure) if s["instruction"] == "FROM"]
    if not froms:
        raise RuleError(f"--dockerfile {path} has no FROM instruction",
                        hint="pass the Dockerfile the image was built from")
    stage = tuple(Instruction(s["instruction"].upper(), s["startline"] + 1, s["endline"] + 1,
                              s["value"], bool(s.get("heredoc")))
                  for s in structure[froms[-1] + 1:])
    global_args = tuple(s["value"] for s in structure[:froms[0]] if s["instruction"] == "ARG")
    text = data.decode("utf-8", "replace")
    return Dockerfile(path, tuple(text.splitlines(keepends=True)), stage, global_args)


@dataclass(frozen=True)
class CopyArguments:
    """A COPY/ADD instruction's parts."""

    flags: tuple[tuple[str, str], ...]
    """(name, value) of each --flag=value, in order (`--chown=1000`: ("--chown", "1000"))."""
    sources: tuple[str, ...]
    """The sources as written."""
    destination: str
    """The destination as written."""


def copy_arguments(value: str) -> CopyArguments:
    """COPY/ADD's value (shell or JSON form) split into flags, sources and destination."""
    import json

    words = value.split()
    flags = []
    while words and words[0].startswith("--"):
        name, _, given = words.pop(0).partition("=")
        flags.append((name, given))
    rest = " ".join(words)
    if rest.startswith("["):
        try:
            words = [str(word) for word in json.loads(rest)]
        except ValueError:
            pass
    return CopyArguments(tuple(flags), tuple(words[:-1]), words[-1] if words else "")
