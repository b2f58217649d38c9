"""The run's results, kept in .cache/bench/results.json so that `--only` can re-run some groups
(for example after a burst of load) and the document still shows the rest from the last run."""

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from . import GROUPS, say
from .groups import group_of
from .measure import Row, Run

RESULTS = "results.json"
KEPT = ("layerscope", "dive")      # what validation found out about an input, kept with it


@dataclass(frozen=True)
class Outcome:
    """What the document reports besides the inputs themselves."""
    rows: list[Row]                                     # the results table, in GROUPS order
    uptimes: list                                       # (label, `uptime` output) pairs
    problems: list[str]                                 # found while validating the inputs
    rerun: list[str] = field(default_factory=list)      # groups re-run on their own (--only)
    commands: list[str] = field(default_factory=list)   # the runs behind the document


def merge_stored(path: Path, key: dict, only: list[str], groups: list[str], run: Outcome,
                 inputs: dict) -> Outcome:
    """This run's outcome with the stored one of the groups it did not re-run (the stored
    inputs' findings are copied into inputs); this run alone when the key (scale, seed, runs)
    differs."""
    stored = json.loads(path.read_text())
    if stored.get("key") != key:
        say("results.json is from another scale/seed/runs; the document gets only this run")
        return run
    old = [Row(r["group"], r["label"], [Run(**x) for x in r["runs"]], r["load"], r["note"])
           for r in stored["rows"] if group_of(r["group"]) not in groups]
    uptimes = [tuple(u) for u in stored["uptimes"]]
    if groups:
        uptimes += [(f"re-run {','.join(only)}: {label}", text) for label, text in run.uptimes]
    for name, inf in stored["inputs"].items():
        if name not in groups and name in inputs:
            inputs[name].update({k: v for k, v in inf.items() if k in KEPT})
    return replace(
        run,
        rows=sorted(old + run.rows, key=lambda r: GROUPS.index(group_of(r.group))),
        uptimes=uptimes,
        problems=[p for p in stored["problems"]
                  if not any(p.startswith(g + ": ") for g in groups)] + run.problems,
        rerun=sorted(set(stored.get("rerun", [])) | set(groups)),
        commands=stored.get("commands", []) + run.commands)


def save(path: Path, key: dict, outcome: Outcome, inputs: dict) -> None:
    path.write_text(json.dumps({
        "key": key, "rows": [asdict(r) for r in outcome.rows], "uptimes": outcome.uptimes,
        "problems": outcome.problems, "rerun": outcome.rerun, "commands": outcome.commands,
        "inputs": {n: {k: v for k, v in i.items() if k in KEPT} for n, i in inputs.items()}},
        indent=1))
