"""LS002's fix: files a COPY brings in only for the RUN that uses and deletes them are bind-mounted
into that RUN instead (`RUN --mount=type=bind,source=...,target=...`, BuildKit only): the COPY
goes, and so does the deletion (the mount is read-only, and nothing of it reaches a layer)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from .dockerfile import CopyArguments, copy_arguments

SEPARATOR = re.compile(r"(\s*(?:&&|;)\s*(?:\\\n\s*)*)")
"""Between two commands of a RUN; `||` and pipes are left alone (the rm's status matters there)."""
ARCHIVE = re.compile(r"\.(?:tar|tgz|tbz2?|txz|gz|bz2|xz|zst|lz4)$")
STAGE_HINT = ("or build in a stage (FROM ... AS build) and COPY --from=build only the results")


def copy_target(copy: CopyArguments, paths: tuple[str, ...]) -> str | None:
    """Where a single-source COPY put its files: the destination, or destination/NAME when it
    put a file into a directory there (told apart by the finding's paths)."""
    destination = copy.destination.rstrip("/") or "/"
    if len(copy.sources) != 1 or not destination.startswith("/"):
        return None
    inside = posixpath.join(destination, posixpath.basename(copy.sources[0].rstrip("/")))
    if inside in paths:
        return inside
    return destination


def _words(command: str) -> list[str]:
    return [word.strip("'\"") for word in command.replace("\\\n", " ").split()]


def without_removal(body: str, target: str) -> str | None:
    """body with the `rm` of exactly target taken out (the whole command when it removes nothing
    else; "" when the RUN did nothing else); None when no command of the RUN removes target by
    that name."""
    pieces = SEPARATOR.split(body)
    for index in range(0, len(pieces), 2):
        command = pieces[index]
        words = _words(command)
        if not words or words[0] != "rm" or command.count('"') % 2 or command.count("'") % 2:
            continue  # not an rm, or one inside a quoted script (`sh -c "...; rm ..."`)
        options = [w for w in words[1:] if w.startswith("-")]
        names = [w for w in words[1:] if not w.startswith("-")]
        kept = [w for w in names if w.rstrip("/") != target]
        if len(kept) == len(names):
            continue
        if kept:
            lead = command[:len(command) - len(command.lstrip())]
            pieces[index] = lead + " ".join(["rm", *options, *kept])
        elif len(pieces) == 1:
            return ""
        elif index == 0:
            del pieces[0:2]
        else:
            del pieces[index - 1:index + 1]
        return "".join(pieces)
    return None


@dataclass(frozen=True)
class MountEdit:
    """LS002's edit: the RUN that uses the files mounts them; the deletion goes."""

    user: int
    """Stage position of the RUN that uses the files (it gets the mount)."""
    flag: str
    """`--mount=type=bind,...,target=... ` to put before its body."""
    body: str
    """The user RUN's body as it becomes."""
    deleter: int
    """Stage position of the RUN that deleted the files (the user itself, or a later RUN)."""
    deleter_body: str
    """The deleter's body without the deletion ("": nothing left, the step goes)."""


def _mentions(text: str, target: str, destination: str) -> bool:
    return target in text or destination in text or posixpath.basename(target) in text.split()


def _unmountable(keyword: str, args: CopyArguments, target: str | None) -> str | None:
    """Why this COPY/ADD's files cannot be a bind mount instead."""
    if keyword == "ADD" and any("://" in s or ARCHIVE.search(s) for s in args.sources):
        return "fetches or unpacks its source; a mount does neither"
    other = sorted({name for name, _ in args.flags} - {"--from"})
    if other:
        return f"sets {', '.join(other)}; a bind mount keeps the files as the context has them"
    if len(args.sources) != 1 or any(c in args.sources[0] for c in "*?["):
        return ("copies several sources; mount each (RUN --mount=type=bind,source=...,"
                "target=...) " + STAGE_HINT)
    if target is None:
        return "copies to a relative path"
    return None


def mount(stage, bodies: dict[int, str], copy: int, run: int, paths: tuple[str, ...],
          where) -> MountEdit | str:
    """The edit that mounts what the COPY at position copy brought in, for the files the RUN at
    position run deletes, or why a mount cannot serve. The files may be used by that RUN or by
    one RUN between (which then mounts them; the later deletion goes). stage: the final stage's
    instructions; where(p): p's PATH:LINE."""
    ins = stage[copy]
    args = copy_arguments(ins.value)
    flags = dict(args.flags)
    target = copy_target(args, paths)
    reason = _unmountable(ins.keyword, args, target)
    if reason:
        return f"the {ins.keyword} at {where(copy)} {reason}"
    if stage[run].keyword != "RUN" or stage[run].heredoc:
        return f"the files are deleted by the {stage[run].keyword} at {where(run)}, not a RUN line"
    users = []
    for p in range(copy + 1, run):
        between = stage[p]
        if between.keyword == "RUN" and _mentions(bodies[p], target, args.destination):
            users.append(p)
        if between.keyword in ("COPY", "ADD") and \
                copy_arguments(between.value).destination.startswith(target):
            return f"the {between.keyword} at {where(p)} writes into {target} too"
    deleter_body = without_removal(bodies[run], target)
    if deleter_body is None:
        return (f"the RUN at {where(run)} deletes {target} by another name; a mount there could "
                "not be deleted: mount it yourself " + STAGE_HINT)
    user = users[0] if users else run
    if len(users) > 1 or (users and _mentions(deleter_body, target, args.destination)):
        uses = [where(p) for p in users + ([run] if len(users) == 1 else [])]
        return (f"the files at {target} are used by the RUNs at {', '.join(uses)}; a mount "
                "serves one RUN: mount them in each " + STAGE_HINT)
    if user != run and stage[user].heredoc:
        return f"the files are used by the heredoc RUN at {where(user)}"
    if user == run and not deleter_body:
        return f"the RUN at {where(run)} only deletes the files: no RUN uses them"
    source = args.sources[0]
    origin = f"from={flags['--from']}," if flags.get("--from") else ""
    return MountEdit(user, f"--mount=type=bind,{origin}source={source},target={target} ",
                     deleter_body if user == run else bodies[user], run, deleter_body)
