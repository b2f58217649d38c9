"""The advise report: findings for an analysed image, optionally aligned to a Dockerfile, with
the patch; and the `ignore` setting read from the same config files as `check`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..analysis.image_report import Analysis
from ..errors import ConfigError
from . import registry, run_rules, unknown_ids
from .base import Finding, RuleOptions


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
    def total_saving(self) -> int:
        """Sum of the user findings' estimates (they can overlap: an upper bound)."""
        return sum(f.estimated_saving_bytes or 0 for f in self.user_findings)


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


def config_ignore(config: str | None = None, cwd: Path | None = None) -> list[str]:
    """`ignore` from [advise] in .layerscope.toml or [tool.layerscope.advise] in pyproject.toml
    (or --config FILE), validated: unknown IDs are an error."""
    from ..config import CONFIG_FILES, Invalid, parse_ids

    cwd = cwd or Path.cwd()
    candidates = [cwd / config] if config else [cwd / name for name in CONFIG_FILES]
    for path in candidates:
        if not path.is_file():
            if config:
                raise ConfigError([f"--config {config}: no such file"])
            continue
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ConfigError([f"{path.name}: cannot be read: {error}"]) from error
        if path.name == "pyproject.toml":
            table, name = document.get("tool", {}).get("layerscope", {}).get("advise"), \
                "tool.layerscope.advise"
        else:
            table, name = document.get("advise"), "advise"
        if table is None:
            continue
        if not isinstance(table, dict):
            raise ConfigError([f"{path.name}: [{name}] must be a table"])
        problems = [f"{key} ({path.name} [{name}]): unknown setting; allowed: ignore"
                    for key in table if key != "ignore"]
        ids: list[str] = []
        if "ignore" in table:
            try:
                ids = parse_ids(table["ignore"])
            except Invalid as problem:
                problems.append(f"ignore ({path.name} [{name}]): {problem}")
        problems += [f"ignore ({path.name} [{name}]): no rule {i}; rules: "
                     + ", ".join(registry()) for i in unknown_ids(ids)]
        if problems:
            raise ConfigError(problems, hint="docs/rules/README.md lists the rules")
        return ids
    return []
