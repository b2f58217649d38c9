"""The patch: for each user finding with a mechanical fix, the edit of the Dockerfile that
applies it, or the reason it is left out. Largest findings first: a fold that would conflict
with one already taken is left out, with that reason."""

from __future__ import annotations

from dataclasses import dataclass

from ..base import Finding
from . import edits
from .align import Alignment
from .buildkit import note
from .copyflags import copy_flags, with_flags
from .dockerfile import Dockerfile
from .folds import blocker, folded_text
from .mounts import mount

NOT_MECHANICAL = {
    "LS007": "which of the toolchain's results the image needs is yours to say: build in a "
             "stage and COPY --from=build only those",
    "LS008": "the content is rewritten, not removed: write it once where it is made",
}


@dataclass(frozen=True)
class Fix:
    """One finding fixed by the patch."""

    finding: Finding
    """The finding."""
    lines: tuple[int, ...]
    """The original Dockerfile lines its edit touches (the annotated hunks')."""


@dataclass(frozen=True)
class Unfixed:
    """A finding the patch leaves as it is."""

    finding: Finding
    """The finding."""
    reason: str
    """Why: no mechanical fix, or what stood in the way."""


@dataclass(frozen=True)
class Plan:
    """The new Dockerfile text and what it fixes."""

    lines: tuple[str, ...]
    """The patched Dockerfile, line by line."""
    fixes: tuple[Fix, ...]
    """The findings fixed, largest first."""
    unfixed: tuple[Unfixed, ...]
    """The user findings left as they are, with reasons."""


class _Work:
    """The patch being planned: RUN bodies as edited so far, the folds taken."""

    def __init__(self, dockerfile: Dockerfile, alignment: Alignment,
                 modes: dict[str, int]) -> None:
        self.dockerfile = dockerfile
        self.stage = dockerfile.stage
        self.position = {id(ins): p for p, ins in enumerate(self.stage)}
        self.steps = {index: self.position[id(ins)] for index, ins in alignment.steps.items()}
        self.bodies = {p: edits.run_body(dockerfile.lines, ins.start, ins.end)
                       for p, ins in enumerate(self.stage) if ins.keyword == "RUN"}
        self.folds: list[list[int]] = []
        self.replaced: dict[int, str] = {}  # position -> new text (a COPY given --chown)
        self.dropped: set[int] = set()
        self.flags: dict[int, str] = {}  # position -> flags put before a RUN's body (--mount)
        self.notes: dict[int, str] = {}  # position -> comment lines put above its new text
        self.modes = modes

    def where(self, p: int) -> str:
        return self.dockerfile.location(self.stage[p].start)

    def lines_of(self, *positions: int) -> tuple[int, ...]:
        return tuple(range(self.stage[min(positions)].start, self.stage[max(positions)].end + 1))

    def fold(self, first: int, last: int, paths: tuple[str, ...]) -> str | None:
        """Take the fold first..last (joined with overlapping folds); the reason when it cannot."""
        if self.dropped & set(range(first, last + 1)):
            return "another fix removes a step in between"
        if set(self.flags) & set(range(first + 1, last + 1)):
            return "another fix mounts files into a RUN in between (RUN --mount)"
        overlapping = [f for f in self.folds if f[0] <= last and first <= f[1]]
        low = min([first] + [f[0] for f in overlapping])
        high = max([last] + [f[1] for f in overlapping])
        reason = blocker(self.dockerfile, self.bodies, low, high, paths)
        if reason:
            return reason
        self.folds = [f for f in self.folds if f not in overlapping] + [[low, high]]
        return None

    def edit(self, p: int, change) -> bool:
        body = self.bodies[p]
        edited = change(body, self.stage[p].heredoc)
        self.bodies[p] = edited
        return edited != body

    def text(self) -> tuple[str, ...]:
        lines = list(self.dockerfile.lines)
        replacements: list[tuple[int, int, str]] = []
        covered: set[int] = set()
        for first, last in self.folds:
            replacements.append((self.stage[first].start, self.stage[last].end, self._noted(
                range(first, last + 1), folded_text(self.dockerfile, self.bodies, first, last,
                                                    self.flags.get(first, "")))))
            covered |= set(range(first, last + 1))
        for p, ins in enumerate(self.stage):
            if p in covered:
                continue
            if p in self.dropped:
                replacements.append((ins.start, ins.end, ""))
            elif p in self.replaced:
                replacements.append((ins.start, ins.end, self._noted([p], self.replaced[p])))
            elif p in self.bodies and (p in self.flags or self.bodies[p] != edits.run_body(
                    self.dockerfile.lines, ins.start, ins.end)):
                replacements.append((ins.start, ins.end, self._noted(
                    [p], "RUN " + self.flags.get(p, "") + self.bodies[p] + "\n")))
        for start, end, text in sorted(replacements, reverse=True):
            lines[start - 1: end] = text.splitlines(keepends=True)
        return tuple(lines)

    def _noted(self, positions, text: str) -> str:
        return "".join(self.notes.get(p, "") for p in positions) + text


def plan(dockerfile: Dockerfile, findings: tuple[Finding, ...], alignment: Alignment,
         modes: dict[str, int] | None = None) -> Plan:
    """Every user finding fixed in the Dockerfile, or left out with its reason. modes: the final
    mode of LS003's paths (a symbolic chmod becomes COPY --chmod= with the mode it left)."""
    work = _Work(dockerfile, alignment, modes or {})
    fixes: list[Fix] = []
    unfixed: list[Unfixed] = []
    for finding in findings:
        if finding.base:
            continue
        result = _fix(work, finding)
        if isinstance(result, str):
            unfixed.append(Unfixed(finding, result))
        else:
            fixes.append(Fix(finding, result))
    return Plan(work.text(), tuple(fixes), tuple(unfixed))


def _fix(work: _Work, finding: Finding) -> tuple[int, ...] | str:
    """The lines the finding's fix touches, or why it is not fixed."""
    if finding.rule in NOT_MECHANICAL:
        return NOT_MECHANICAL[finding.rule]
    missing = [s for s in finding.steps if s not in work.steps]
    if missing or not finding.steps:
        return f"step {missing[0] if missing else '-'} has no instruction in the Dockerfile"
    positions = [work.steps[s] for s in finding.steps]
    keywords = [work.stage[p].keyword for p in positions]
    if finding.rule == "LS002":
        return _mount(work, finding, *positions)
    if finding.rule in ("LS001", "LS003"):
        writer, killer = positions
        if finding.rule == "LS003" and keywords[0] in ("COPY", "ADD"):
            return _copy_flags(work, finding, writer, killer)
        if keywords != ["RUN", "RUN"]:
            return (f"the {keywords[0]} at {work.where(writer)} is not a RUN to fold the "
                    f"{keywords[1]} at {work.where(killer)} into")
        reason = work.fold(writer, killer, finding.paths)
        return (f"steps {writer}..{killer} cannot be folded: {reason}" if reason
                else work.lines_of(writer, killer))
    if finding.rule == "LS004":
        return _lists(work, positions)
    if finding.rule == "LS005":
        return _cache(work, finding, positions)
    if finding.rule == "LS006":
        [p] = positions
        if keywords[0] != "RUN" or not work.edit(p, lambda body, _: edits.no_install_recommends(
                body)):
            return f"no apt-get install without --no-install-recommends at {work.where(p)}"
        return work.lines_of(p)
    return "no mechanical fix"


def _lists(work: _Work, positions: list[int]) -> tuple[int, ...] | str:
    """rm -rf /var/lib/apt/lists/* after the last command that needs the lists, in the RUN that
    downloaded them: the RUNs from apt-get update to the last install are folded when apart."""
    touched: list[int] = []
    for p in positions:
        if work.stage[p].keyword != "RUN" or not edits.APT_UPDATE.search(work.bodies[p]):
            return f"the lists come from {work.where(p)}, which runs no apt-get update"
        last = p
        for q in range(p + 1, len(work.stage)):
            body = work.bodies.get(q)
            if body is None:
                continue
            if edits.APT_UPDATE.search(body):
                break
            if edits.APT_NEEDS_LISTS.search(body):
                last = q
        if last != p:
            reason = work.fold(p, last, ("/var/lib/apt/lists",))
            if reason:
                return (f"the lists are needed by the install at {work.where(last)}, and "
                        f"{work.where(p)}..{last} cannot be folded: {reason}")
        work.edit(last, lambda body, heredoc: edits.append(body, edits.LISTS, heredoc))
        touched += work.lines_of(p, last)
    return tuple(touched)


def _cache(work: _Work, finding: Finding, positions: list[int]) -> tuple[int, ...] | str:
    kind = next((k for k in edits.CACHE_EDITS if finding.message.split(" ", 1)[-1].startswith(k)),
                None)
    if kind is None:
        return ("which temporary files later steps still need is not known: delete them in the "
                "RUN that writes them")
    command, change = edits.CACHE_EDITS[kind]
    touched: list[int] = []
    for p in positions:
        if work.stage[p].keyword != "RUN" or not command.search(work.bodies[p]):
            return f"the {kind} comes from {work.where(p)}, which runs no {command.pattern}"
        work.edit(p, change)
        touched += work.lines_of(p)
    return tuple(touched)


def _taken(work: _Work, *positions: int) -> str | None:
    """Why another fix already stands in the way of rewriting these instructions."""
    for p in positions:
        if p in work.dropped or p in work.replaced or p in work.flags:
            return f"another fix already rewrites {work.where(p)}"
        if any(f[0] < p <= f[1] for f in work.folds):
            return f"another fix folds {work.where(p)} into an earlier RUN"
    return None


def _mount(work: _Work, finding: Finding, copy: int, run: int) -> tuple[int, ...] | str:
    """COPY then a RUN that uses and deletes the files: the RUN mounts them, the COPY goes."""
    if work.stage[copy].keyword not in ("COPY", "ADD"):
        return f"the files come from the {work.stage[copy].keyword} at {work.where(copy)}"
    edit = mount(work.stage, work.bodies, copy, run, finding.paths, work.where)
    if isinstance(edit, str):
        return edit
    reason = _taken(work, copy, edit.user, run)
    if reason:
        return reason
    work.flags[edit.user] = edit.flag
    work.bodies[edit.user] = edit.body
    if edit.deleter != edit.user:
        if edit.deleter_body:
            work.bodies[edit.deleter] = edit.deleter_body
        else:
            work.dropped.add(edit.deleter)  # it only deleted what is no longer copied in
    work.dropped.add(copy)
    work.notes[edit.user] = note("LS002", "RUN --mount")
    return work.lines_of(copy, run)


def _copy_flags(work: _Work, finding: Finding, copy: int, run: int) -> tuple[int, ...] | str:
    """COPY then `RUN chown/chmod` of what it copied: COPY --chown=/--chmod=, and the RUN goes."""
    result = _taken(work, copy, run) or copy_flags(
        work.stage, work.bodies, copy, run, finding.paths, work.modes, work.where)
    if isinstance(result, str):
        return result
    flags, buildkit = result
    ins = work.stage[copy]
    work.replaced[copy] = with_flags("".join(work.dockerfile.lines[ins.start - 1: ins.end]), flags)
    work.dropped.add(run)
    if buildkit:
        work.notes[copy] = note("LS003", "COPY --chmod=")
    return work.lines_of(copy, run)
