"""The one path glob of every command: `diff --path`, `inspect --path`, `check --forbid-paths`.

Syntax (docs/globs.md): `*` and `?` stay inside one path component, `[...]` is a character class
(`[!...]` negates), `**` matches any number of whole components (none included). A pattern
without a leading `/` may match at any depth (`*.pem` is `/**/*.pem`). A pattern that matches a
directory covers everything under it, so `/usr/lib` and `/usr/lib/` select the same files as
`/usr/lib/**`."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field


def glob_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression for one glob, matched against whole absolute paths."""
    text = pattern.strip()
    if not text.startswith("/"):
        text = "/**/" + text
    parts = [p for p in text.rstrip("/").split("/")[1:] if p]
    regex = ""
    for index, part in enumerate(parts):
        if part == "**":
            regex += "(?:/[^/]+)+" if index == len(parts) - 1 else "(?:/[^/]+)*"
        else:
            regex += "/" + _component(part)
    return re.compile(regex + r"\Z")


def _component(part: str) -> str:
    out, i = "", 0
    while i < len(part):
        char = part[i]
        if char == "*":
            out += "[^/]*"
            while i + 1 < len(part) and part[i + 1] == "*":
                i += 1
        elif char == "?":
            out += "[^/]"
        elif char == "[" and part.find("]", i + 2) != -1:
            end = part.find("]", i + 2)
            body = part[i + 1:end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out += "[" + body.replace("\\", "\\\\") + "]"
            i = end
        else:
            out += re.escape(char)
        i += 1
    return out


@dataclass(frozen=True)
class PathGlob:
    """One compiled glob; `covers` answers for a path and, through its directories, for
    everything under a matched directory."""

    pattern: str
    """The glob as the user wrote it."""
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    """The compiled form of `pattern`."""
    _directories: dict[str, bool] = field(init=False, repr=False, compare=False,
                                          default_factory=dict)
    """Verdicts for directories already asked about (files share them by the thousand)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", glob_regex(self.pattern))

    def matches(self, path: str) -> bool:
        """True when the glob matches this path itself."""
        return self.regex.match(path) is not None

    def covers(self, path: str) -> bool:
        """True when the glob matches the path or one of the directories above it."""
        return self.matches(path) or self._covers_directory(posixpath.dirname(path))

    def _covers_directory(self, directory: str) -> bool:
        if directory in ("/", ""):
            return False
        known = self._directories.get(directory)
        if known is None:
            known = self.matches(directory) or self._covers_directory(
                posixpath.dirname(directory))
            self._directories[directory] = known
        return known
