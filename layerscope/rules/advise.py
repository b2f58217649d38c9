"""The advise report: findings for an analysed image, optionally aligned to a Dockerfile, with
the patch. Its `ignore` setting is read by layerscope.settings (a floor above rules)."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.image_report import Analysis
from . import run_rules
from .base import Finding, RuleOptions
from .savings import Savings, savings, together


@dataclass(frozen=True)
class PatchReport:
    """What --patch wrote and what it left."""

    text: str
    """The annotated unified diff ("" when no fix applies)."""
    fixed: tuple[tuple[Finding, tuple[int, ...]], ...]
    """Each finding fixed, with the original Dockerfile lines its edit touches."""
    unfixed: tuple[tuple[Finding, str], ...]
    """Each user finding left as it is, with the reason."""
    saving: int
    """What the fixes save together, each byte once (at most the user layers' bytes)."""
    patched: str = ""
    """The whole Dockerfile as the patch leaves it."""
    check: object | None = None
    """--check-patch: the patched build measured (commands.advise_check.PatchCheck)."""


@dataclass(frozen=True)
class AdviseReport:
    """Everything `advise` shows."""

    ref: str
    image_id: str
    repo_tags: tuple[str, ...]
    size: int
    user_size: int
    steps: tuple[str, ...]
    """Instruction text per step index."""
    base_steps: int
    """Steps that belong to the base image."""
    findings: tuple[Finding, ...]
    """User findings (largest saving first), then the base image's."""
    ignored: tuple[str, ...] = ()
    dockerfile: str | None = None
    patch: PatchReport | None = None
    """The patch, when --patch (or --check-patch) was given."""
    warnings: tuple[str, ...] = ()
    """How the Dockerfile only partly matches the image."""

    @property
    def user_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.base)

    @property
    def base_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.base)

    @property
    def savings(self) -> Savings:
        """The user findings' fixes together, each byte once, never above the user layers."""
        return savings(self.findings, self.user_size)


def advise(analysis: Analysis, ignore=(), dockerfile: str | None = None,
           want_patch: bool = False) -> AdviseReport:
    """Run the rules; with a Dockerfile (which must match the image), give each finding its
    lines and, when asked, build the patch."""
    findings = run_rules(analysis, RuleOptions(ignore=frozenset(i.upper() for i in ignore)))
    report = analysis.report
    patch_report = None
    warnings: tuple[str, ...] = ()
    if dockerfile is not None:
        parsed, alignment = _aligned(report, dockerfile)
        warnings = alignment.warnings
        findings = tuple(_with_lines(f, alignment.steps) for f in findings)
        if want_patch:
            patch_report = _patch(parsed, findings, alignment, report.user_size,
                                  _final_modes(analysis, findings))
    return AdviseReport(report.ref, report.image_id, report.repo_tags, report.size,
                        report.user_size, tuple(s.instruction for s in report.steps),
                        report.base.step_count, findings, tuple(sorted(ignore)), dockerfile,
                        patch_report, warnings)


def dockerfile_view(report, path: str, want_patch: bool = False):
    """inspect --dockerfile: (the report's findings with their Dockerfile lines, (step, line)
    of each step the final stage made, the patch's text when asked: "" when no fix applies).
    The Dockerfile must match the image, as for advise."""
    parsed, alignment = _aligned(report, path)
    findings = tuple(_with_lines(f, alignment.steps) for f in report.findings or ())
    lines = tuple(sorted((step, item.start) for step, item in alignment.steps.items()))
    patch = (_patch(parsed, findings, alignment, report.user_size).text if want_patch
             else None)
    return findings, lines, patch


def _aligned(report, path: str):
    """(the Dockerfile at `path` read, its final stage aligned to the report's steps): a
    RuleError when it is not the image's."""
    from .patch.align import align
    from .patch.dockerfile import read_dockerfile

    parsed = read_dockerfile(path)
    return parsed, align(parsed, [(s.index, s.instruction, s.base) for s in report.steps],
                         report.ref)


def _with_lines(finding: Finding, steps) -> Finding:
    from dataclasses import replace

    return replace(finding, lines=tuple(steps[s].start for s in finding.steps if s in steps))


def _final_modes(analysis: Analysis, findings) -> dict[str, int]:
    """The final mode of each path LS003 names: the octal mode a symbolic `chmod +x` left, for
    COPY --chmod= (which takes octal modes)."""
    from ..analysis.tree import find_version

    modes = {}
    for finding in findings:
        for path in finding.paths if finding.rule == "LS003" else ():
            version = find_version(analysis.merged.final_tree, path)
            if version is not None:
                modes[path] = version.entry.mode & 0o7777
    return modes


def _patch(parsed, findings, alignment, user_size: int, modes=None) -> PatchReport:
    from .patch.plan import plan
    from .patch.render import diff

    planned = plan(parsed, findings, alignment, modes)
    saving = together((fix.finding for fix in planned.fixes), user_size)
    return PatchReport(diff(parsed.path, parsed.lines, planned, saving),
                       tuple((fix.finding, fix.lines) for fix in planned.fixes),
                       tuple((u.finding, u.reason) for u in planned.unfixed), saving,
                       "".join(planned.lines))
