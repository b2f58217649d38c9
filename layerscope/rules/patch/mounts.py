"""LS002's fix: files a COPY brings in only for the RUN that uses and deletes them are bind-mounted
into that RUN instead (`RUN --mount=type=bind,source=...,target=...`, BuildKit only): the COPY
goes, and so does the deletion (the mount is read-only, and nothing of it reaches a layer)."""

from __future__ import annotations

import posixpath
import re

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
    else); None when no command of the RUN removes target by that name."""
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
            return None  # the RUN did nothing else: nothing left to run
        elif index == 0:
            del pieces[0:2]
        else:
            del pieces[index - 1:index + 1]
        return "".join(pieces)
    return None


def mount(stage, bodies: dict[int, str], copy: int, run: int, paths: tuple[str, ...],
          where) -> tuple[str, str] | str:
    """(the --mount flag for the RUN at position run, its body without the deletion), or why a
    mount cannot serve. stage: the final stage's instructions; where(p): p's PATH:LINE."""
    ins = stage[copy]
    args = copy_arguments(ins.value)
    flags = dict(args.flags)
    if ins.keyword == "ADD" and any("://" in s or ARCHIVE.search(s) for s in args.sources):
        return f"the ADD at {where(copy)} fetches or unpacks its source; a mount does neither"
    if set(flags) - {"--from"}:
        return (f"the {ins.keyword} at {where(copy)} sets {', '.join(sorted(set(flags) - {'--from'}))}"
                "; a bind mount keeps the files as the context has them")
    if len(args.sources) != 1 or any(c in args.sources[0] for c in "*?["):
        return (f"the {ins.keyword} at {where(copy)} copies several sources; mount each "
                "(RUN --mount=type=bind,source=...,target=...) " + STAGE_HINT)
    target = copy_target(args, paths)
    if target is None:
        return f"the {ins.keyword} at {where(copy)} copies to a relative path"
    if stage[run].keyword != "RUN" or stage[run].heredoc:
        return f"the files are deleted by the {stage[run].keyword} at {where(run)}, not a RUN line"
    for p in range(copy + 1, run):
        between = stage[p]
        text = bodies.get(p, between.value)
        if between.keyword == "RUN" and (target in text or args.destination in text or
                                         posixpath.basename(target) in text.split()):
            return (f"the files at {target} are used by the RUN at {where(p)} as well as by the "
                    f"one that deletes them at {where(run)}; a mount serves one RUN: mount them "
                    "in each " + STAGE_HINT)
        if between.keyword in ("COPY", "ADD") and \
                copy_arguments(between.value).destination.startswith(target):
            return f"the {between.keyword} at {where(p)} writes into {target} too"
    body = without_removal(bodies[run], target)
    if body is None:
        return (f"the RUN at {where(run)} deletes {target} by another name (or does nothing "
                f"else); a mount there could not be deleted: mount it yourself " + STAGE_HINT)
    source = args.sources[0]
    origin = f"from={flags['--from']}," if flags.get("--from") else ""
    return f"--mount=type=bind,{origin}source={source},target={target} ", body
