"""The advise report: findings for an analysed image, optionally aligned to a Dockerfile, with
the patch. Its `ignore` setting is read by layerscope.settings (a floor above rules)."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.image_report import Analysis
from . import run_rules
from .base import Finding, RuleOptions
from .savings import Savings, savings


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
    patch: str | None = None
    """Unified diff of the mechanical fixes, when --patch was given ("" when none apply)."""

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
    """Run the rules; with a Dockerfile, give each finding its lines and build the patch."""
    from .dockerfile import align, patch, read_dockerfile, with_lines

    findings = run_rules(analysis, RuleOptions(ignore=frozenset(i.upper() for i in ignore)))
    report = analysis.report
    patch_text = None
    if dockerfile is not None:
        parsed = read_dockerfile(dockerfile)
        aligned = align(parsed, [(s.index, s.instruction, s.base) for s in report.steps])
        findings = with_lines(findings, aligned)
        if want_patch:
            patch_text = patch(parsed, findings, aligned)
    return AdviseReport(report.ref, report.image_id, report.repo_tags, report.size,
                        report.user_size, tuple(s.instruction for s in report.steps),
                        report.base.step_count, findings, tuple(sorted(ignore)), dockerfile,
                        patch_text)

