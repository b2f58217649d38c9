"""The patch as a unified diff for `patch -p0` / `git apply -p0`: a header saying what it saves
in all, and each hunk's header naming the findings it fixes with their estimates (text after
the second @@ is a hunk's comment to both tools)."""

from __future__ import annotations

import difflib
import re

from .plan import Plan

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def diff(path: str, old: tuple[str, ...], plan: Plan, total: int) -> str:
    """The annotated diff ("" when the plan changes nothing)."""
    new = list(plan.lines)
    if new == list(old):
        return ""
    ids = ", ".join(f"{f.finding.rule} {human_size(f.finding.estimated_saving_bytes)}"
                    for f in plan.fixes)
    count = f"{len(plan.fixes)} fix{'es' if len(plan.fixes) != 1 else ''}"
    out = [f"layerscope advise --patch: {count} ({ids}); together they should "
           f"save {human_size(total)} ({total:,} bytes), each byte counted once\n"]
    for line in difflib.unified_diff(list(_ended(old)), list(_ended(new)), fromfile=path,
                                     tofile=path):
        match = HUNK.match(line)
        if match:
            first = int(match.group(1))
            count = 1 if match.group(2) is None else int(match.group(2))
            covered = set(range(first, first + max(count, 1)))
            notes = [f"{f.finding.rule} -{human_size(f.finding.estimated_saving_bytes)}"
                     for f in plan.fixes if covered & set(f.lines)]
            line = line.rstrip("\n") + (" " + ", ".join(notes) if notes else "") + "\n"
        out.append(line)
    return "".join(out)


def human_size(value: int | None) -> str:
    """Decimal units as the reports show them (formats sit above rules: humanize directly)."""
    if value is None:
        return "n/a"
    import humanize

    return humanize.naturalsize(value, format="%.1f").replace(" Bytes", " B").replace(" Byte", " B")


def _ended(lines) -> list[str]:
    """Lines with a final newline, so the last line's diff applies cleanly."""
    lines = list(lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines
