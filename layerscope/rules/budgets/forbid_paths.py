"""forbid-paths: globs that must not match anything in the final filesystem.

The glob is analysis.globs' (docs/globs.md), as `diff --path` and `inspect --path` read it.
A matched directory is reported once, with the bytes of
everything under it; the counts are of files (every non-directory entry: a matched file is one,
a matched directory counts the files under it), the paths are the topmost matches."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from ...analysis.globs import glob_regex
from ...analysis.tree import live_files
from ...model import EntryKind
from .base import GLOBS, Budget, BudgetResult, CheckContext, Contributor, Status, human


@dataclass
class Match:
    path: str
    glob: str
    bytes: int = 0
    files: int = 0
    directory: bool = False


def find_forbidden(ctx: CheckContext, globs: list[str]) -> list[Match]:
    """The topmost live paths each glob matches, with the bytes under them."""
    compiled = [(glob, glob_regex(glob)) for glob in globs]
    entries = live_files(ctx.analysis.merged.final_tree)
    candidates = set(entries)
    for path in entries:
        parent = posixpath.dirname(path)
        while parent not in ("/", "") and parent not in candidates:
            candidates.add(parent)
            parent = posixpath.dirname(parent)
    candidates.discard("/")
    matches: list[Match] = []
    current: Match | None = None
    for path in sorted(candidates, key=lambda p: p.split("/")):
        entry = entries.get(path)
        size = entry.size if entry is not None else 0
        is_file = entry is not None and entry.kind != EntryKind.DIRECTORY
        if current is not None and path.startswith(current.path + "/"):
            current.bytes += size
            current.files += is_file
            continue
        current = None
        glob = next((g for g, regex in compiled if regex.match(path)), None)
        if glob is not None:
            current = Match(path, glob, size, int(is_file), directory=not is_file)
            matches.append(current)
    return matches


def evaluate(ctx: CheckContext, limit: list[str]) -> BudgetResult:
    matches = find_forbidden(ctx, limit)
    total = sum(m.bytes for m in matches)
    if not matches:
        message = ("the glob matches nothing in the final filesystem" if len(limit) == 1 else
                   f"none of the {len(limit)} globs matches anything in the final filesystem")
        return BudgetResult("forbid-paths", Status.PASS, 0, list(limit), message)
    per_glob, contributors = [], []
    for glob in limit:
        hit = [m for m in matches if m.glob == glob]
        if not hit:
            continue
        files = sum(m.files for m in hit)
        per_glob.append(f"{glob} matches {files} file{'s' if files != 1 else ''} in "
                        f"{len(hit)} path{'s' if len(hit) != 1 else ''} "
                        f"({human(sum(m.bytes for m in hit))})")
        # each glob lists its own largest paths, so no glob's matches are crowded out
        ranked = sorted(hit, key=lambda m: (-m.bytes, m.path))
        contributors += [
            Contributor("path", m.path + ("/" if m.directory else ""), m.bytes, None,
                        f"matches {m.glob}" + (f", {m.files} files" if m.directory else ""))
            for m in ranked[: ctx.top]]
    message = f"forbidden paths in the final filesystem, {human(total)}: " + "; ".join(per_glob)
    return BudgetResult("forbid-paths", Status.FAIL, total, list(limit), message,
                        tuple(contributors))


BUDGET = Budget("forbid-paths", GLOBS, "GLOB",
                "fail when GLOB matches a path in the final filesystem (repeatable), e.g. "
                "'/var/lib/apt/lists/*', '**/.git', '*.pem'", evaluate)
