"""LS003's fix when the files came from a COPY/ADD: a later `RUN chown`/`chmod` of exactly what it
copied becomes the COPY's `--chown=` (both builders) / `--chmod=` (BuildKit only), and the RUN
goes."""

from __future__ import annotations

import re

from .dockerfile import copy_arguments
from .mounts import SEPARATOR, copy_target

COMMAND = re.compile(r"^(chown|chmod)\s+((?:-[A-Za-z]+\s+)*)(\S+)\s+(\S+)$")
OCTAL = re.compile(r"^0?[0-7]{3}$|^[0-7]{4}$")


def _commands(body: str) -> list[str]:
    """The RUN's commands between `&&`/`;` (a pipe or `||` stays inside one, and matches no
    chown/chmod)."""
    pieces = SEPARATOR.split(body)
    return [" ".join(p.replace("\\\n", " ").split()) for p in pieces[0::2]]


def copy_flags(stage, bodies: dict[int, str], copy: int, run: int, paths: tuple[str, ...],
               modes: dict[str, int], where) -> tuple[dict[str, str], bool] | str:
    """({--chown/--chmod: value} for the COPY at position copy, whether BuildKit is needed), or
    why the RUN at position run is not only a chown/chmod of what that COPY copied. modes: the
    final mode of each path, to write a symbolic `chmod +x` as the octal mode it left."""
    ins = stage[copy]
    target = copy_target(copy_arguments(ins.value), paths)
    commands = _commands(bodies.get(run, "")) if not stage[run].heredoc else None
    if target is None or not commands:
        return f"{where(run)} is not a chown/chmod of what {where(copy)} copied"
    file_copied = paths == (target,)
    flags: dict[str, str] = {}
    for command in commands:
        match = COMMAND.match(command)
        if not match or match.group(4).rstrip("/") != target:
            return (f"{where(run)} does more than chown/chmod the files {where(copy)} copied "
                    f"({command[:40]})")
        name, options, value = match.group(1), match.group(2), match.group(3)
        if not file_copied and "R" not in options:
            return f"{where(run)} changes only the directory {target}, not what is in it"
        if name == "chown":
            flags["--chown"] = value
            continue
        if not file_copied:
            return (f"COPY --chmod= leaves the directory {target} itself as it was, where "
                    f"`chmod -R` at {where(run)} changes it too")
        if OCTAL.match(value):
            flags["--chmod"] = value.zfill(4)
        elif target in modes:
            flags["--chmod"] = f"{modes[target] & 0o7777:04o}"
        else:
            return (f"the mode `{value}` at {where(run)} is symbolic and the mode it left is not "
                    "known; this builder's COPY --chmod= takes octal modes")
    return flags, "--chmod" in flags


def with_flags(text: str, flags: dict[str, str]) -> str:
    """A COPY/ADD instruction's text with flags set (replacing any it already had)."""
    for name in flags:
        text = re.sub(rf"\s{name}=\S+", "", text, count=1)
    added = " ".join(f"{name}={value}" for name, value in flags.items())
    return re.sub(r"^(\s*(?:COPY|ADD))\s+", rf"\1 {added} ", text, count=1, flags=re.IGNORECASE)
