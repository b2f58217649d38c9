"""Edits of one RUN's text, as written (continuations, comment lines and heredocs kept): flags
added to the commands that need them, commands appended at the end."""

from __future__ import annotations

import re

APT_INSTALL = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*install\b")
APT_NEEDS_LISTS = re.compile(
    r"\bapt(?:-get)?\s+(?:-\S+\s+)*(?:install|upgrade|dist-upgrade|full-upgrade|build-dep|"
    r"source|download)\b")
APT_UPDATE = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*update\b")
CONTINUATION = " && \\\n    "
LISTS = "rm -rf /var/lib/apt/lists/*"


def _flag(body: str, command: re.Pattern, flag: str) -> str:
    """flag added after each match of command whose own command line lacks it."""
    def add(match: re.Match) -> str:
        rest = re.split(r"&&|\|\||;|\n(?!\s*-)", body[match.end():], maxsplit=1)[0]
        return match.group(0) if flag in rest else f"{match.group(0)} {flag}"
    return command.sub(add, body)


def no_install_recommends(body: str) -> str:
    return _flag(body, APT_INSTALL, "--no-install-recommends")


def pip_no_cache(body: str) -> str:
    return _flag(body, re.compile(r"\bpip3?\s+install\b"), "--no-cache-dir")


def apk_no_cache(body: str) -> str:
    return _flag(body, re.compile(r"\bapk\s+add\b"), "--no-cache")


def append(body: str, command: str, heredoc: bool) -> str:
    """command run last: `&& command` on a new continuation line, or, in a heredoc script, a line
    of its own before the terminator."""
    if heredoc:
        lines = body.rstrip("\n").split("\n")
        return "\n".join(lines[:-1] + [command, lines[-1]])
    return body.rstrip() + CONTINUATION + command


def run_body(lines: tuple[str, ...], start: int, end: int) -> str:
    """The text of a RUN as written, lines start..end (1-based), without the keyword."""
    text = "".join(lines[start - 1: end]).rstrip("\n")
    return re.sub(r"^\s*RUN\s+", "", text, count=1, flags=re.IGNORECASE)


CACHE_EDITS = {
    # LS005's kinds (the label its message starts with) -> (the command that must be in the RUN,
    # how the RUN is changed)
    "apt archives": (APT_INSTALL, lambda body, heredoc: append(body, "apt-get clean", heredoc)),
    "pip cache": (re.compile(r"\bpip3?\s+install\b"), lambda body, heredoc: pip_no_cache(body)),
    "npm cache": (re.compile(r"\bnpm\s+(?:ci|install|i)\b"),
                  lambda body, heredoc: append(body, "npm cache clean --force", heredoc)),
    "yarn cache": (re.compile(r"\byarn\b"),
                   lambda body, heredoc: append(body, "yarn cache clean", heredoc)),
    "apk cache": (re.compile(r"\bapk\s+add\b"), lambda body, heredoc: apk_no_cache(body)),
    "yum/dnf cache": (re.compile(r"\b(?:yum|dnf)\s+(?:-\S+\s+)*install\b"),
                      lambda body, heredoc: append(
                          body, ("dnf" if "dnf" in body else "yum") + " clean all", heredoc)),
}
