"""What the human formats of advise (and inspect's Findings section) share."""

from __future__ import annotations

from .fit import cut_path
from .units import shorten, size


def saving(finding) -> str:
    value = finding.estimated_saving_bytes
    return "n/a" if value is None else size(value)


def where(finding, dockerfile: str | None = None) -> str:
    """'steps 3 -> 5' or 'step 3', with PATH:LINE locations when aligned to a Dockerfile."""
    if not finding.steps:
        return "-"
    label = ("step " if len(finding.steps) == 1 else "steps ") + " -> ".join(
        map(str, finding.steps))
    if finding.lines:
        label += " (" + ", ".join(locations(finding, dockerfile)) + ")"
    return label


def locations(finding, dockerfile: str | None) -> list[str]:
    """PATH:LINE of each aligned step, as hadolint prints them (editors and CI link them)."""
    return [f"{dockerfile or 'Dockerfile'}:{line}" for line in finding.lines]


def finding_lines(finding, top: int, indent: str = "    ") -> list[str]:
    """The detail lines under a finding: what was found, the fix, the top paths/packages."""
    lines = [f"{indent}{finding.message}", f"{indent}fix: {finding.fix}"]
    items = finding.packages or finding.paths
    if items:
        cut = shorten if finding.packages else cut_path  # a path keeps its file name
        shown = ", ".join(cut(item, 70) for item in items[:top])
        more = f" (+{len(items) - top} more)" if len(items) > top else ""
        lines.append(f"{indent}{'packages' if finding.packages else 'paths'}: {shown}{more}")
    return lines


def finding_document(finding, dockerfile: str | None = None) -> dict:
    """One finding in JSON (advise's findings[] and inspect's findings[])."""
    located = {"locations": locations(finding, dockerfile)} if dockerfile else {}
    return {**located,
        "rule": finding.rule,
        "severity": finding.severity,
        "title": finding.title,
        "estimated_saving_bytes": finding.estimated_saving_bytes,
        "steps": list(finding.steps),
        "lines": list(finding.lines),
        "paths": list(finding.paths),
        "packages": list(finding.packages),
        "fix": finding.fix,
        "message": finding.message,
        "base": finding.base,
    }


def savings_text(found) -> str:
    """'up to 436.0 MB to save with every fix, each byte counted once (--patch's fixes:
    434.2 MB)': the fixes together, never the sum of overlapping estimates."""
    text = f"up to {size(found.every_fix)} to save with every fix, each byte counted once"
    if found.mechanical != found.every_fix:
        text += f" (--patch's fixes: {size(found.mechanical)})"
    return text


def findings_text(findings, top: int, touchable: int, dockerfile: str | None = None) -> list[str]:
    """The text section: user findings, then the base image's, apart. touchable: the bytes
    after the base image, which no saving can exceed."""
    from ..rules.savings import savings

    user = [f for f in findings if not f.base]
    base = [f for f in findings if f.base]
    parts: list[str] = []
    if not user:
        parts.append("Findings: none for your steps.")
    else:
        parts.append(f"Findings ({len(user)}, {savings_text(savings(user, touchable))})")
        for f in user:
            parts.append(f"  {f.rule} {f.severity:<7} {saving(f):>9}  {f.title}  "
                         f"[{where(f, dockerfile)}]")
            parts += finding_lines(f, top)
    if base:
        parts.append("")
        parts.append(f"Base image ({len(base)}, bytes in the base image's layers; each fix says "
                     "what, if anything, avoids them)")
        for f in base:
            parts.append(f"  {f.rule} {f.severity:<7} {saving(f):>9}  {f.title}  [{where(f)}]")
            parts += [f"    {f.message}", f"    fix: {f.fix}"]
    return parts


def packages_text(report, top: int) -> list[str]:
    """inspect --packages: per step, the packages it installed, upgraded or removed."""
    if not report.packages:
        return ["Packages: no package database changes found in the layers."]
    parts = ["Packages per step (dpkg from /var/lib/dpkg, Python from *.dist-info/RECORD)"]
    for entry in report.packages:
        changes = entry.changes
        by_action: dict[str, int] = {}
        for c in changes:
            by_action[c.action] = by_action.get(c.action, 0) + 1
        counts = ", ".join(f"{n} {action}" for action, n in sorted(by_action.items()))
        parts.append(f"  step {entry.step}: {shorten(report.steps[entry.step].instruction, 60)}"
                     f"  ({counts})")
        for c in changes[:top]:
            auto = " (auto)" if c.auto else ""
            parts.append(f"    {c.action:<9} {size(c.bytes):>9}  {c.manager:<6} {c.name} "
                         f"{c.version}{auto}")
        if len(changes) > top:
            parts.append(f"    ... {len(changes) - top} more")
    return parts


def package_document(entry) -> dict:
    return {"step": entry.step, "changes": [
        {"name": c.name, "version": c.version, "manager": c.manager, "action": c.action,
         "bytes": c.bytes, "auto": c.auto} for c in entry.changes]}


def patch_document(report) -> dict:
    """advise's JSON beside the findings: the Dockerfile's warnings, and with --patch the diff,
    its saving, each fix and each finding left out with its reason."""
    document: dict = {"dockerfile_warnings": list(report.warnings)}
    patch = report.patch
    if patch is None:
        return document
    document["patch"] = {
        "diff": patch.text,
        "estimated_saving_bytes": patch.saving,
        "fixed": [{"rule": f.rule, "steps": list(f.steps),
                   "locations": locations(f, report.dockerfile),
                   "estimated_saving_bytes": f.estimated_saving_bytes,
                   "lines": list(lines)} for f, lines in patch.fixed],
        "unfixed": [{"rule": f.rule, "steps": list(f.steps),
                     "locations": locations(f, report.dockerfile), "reason": reason}
                    for f, reason in patch.unfixed],
    }
    if patch.check is not None:
        document["patch"]["check"] = {
            "original_size": patch.check.original_size,
            "patched_size": patch.check.patched_size,
            "real_saving_bytes": patch.check.real_saving,
            "builder": patch.check.builder,
        }
    return document


def patch_text(report) -> list[str]:
    """The text lines of --check-patch (and of what the patch left out)."""
    patch = report.patch
    if patch is None:
        return []
    count = f"{len(patch.fixed)} fix{'es' if len(patch.fixed) != 1 else ''}"
    parts = [f"Patch  {count}, estimated saving {size(patch.saving)} "
             f"({patch.saving:,} bytes)"]
    for finding, reason in patch.unfixed:
        parts.append(f"  not fixed: {finding.rule} [{where(finding, report.dockerfile)}]: {reason}")
    check = patch.check
    if check is not None:
        off = (check.real_saving - patch.saving) / patch.saving * 100 if patch.saving else 0.0
        parts.append(f"Patch check  built on the engine with {check.builder}: "
                     f"{size(check.original_size)} -> "
                     f"{size(check.patched_size)}; real saving {size(check.real_saving)} "
                     f"({check.real_saving:,} bytes) against {size(patch.saving)} estimated "
                     f"({off:+.2f}%)")
    return parts
