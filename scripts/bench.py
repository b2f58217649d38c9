#!/usr/bin/env python3
"""`make bench`: layerscope against dive on the same docker-archive, side by side, as ratios.

The parts live in the bench/ package beside this script, one concern each: inputs.py (the story
archives and the generated big-churn and many-small, written by archive.py), groups.py (what
each group runs, and the validation of the inputs), measure.py (running and timing a command),
targets.py (issue 7's targets), report.py (the Markdown) and results.py (results.json). This
script reads the options and wires them.

Writes the table to stdout and, with the machine and the pass/fail of issue 7's targets, to
docs/benchmarks.md. Results are also kept in .cache/bench/results.json so that `--only` can re-run
some groups (for example after a burst of load) and regenerate the document with the rest.

Usage: scripts/bench.py [--runs N] [--scale X] [--only GROUP,...] [--seed N] [...]
       BENCH_SCALE=0.1 make bench      (a quick run: a tenth of the files and bytes)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import stat
import sys
from pathlib import Path

from bench import DOC, GROUPS, HALF, ROOT, VENV_BIN, WORK, say
from bench.groups import bench_groups, dive_config, validate_inputs
from bench.inputs import generated_inputs, story_inputs
from bench.measure import TIME, run_text
from bench.report import layerscope_commit, machine, results_table, targets_table, write_doc
from bench.results import RESULTS, Outcome, merge_stored, save


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    env_scale = float(os.environ.get("BENCH_SCALE", "1") or 1)
    parser.add_argument("--runs", type=int, default=3, help="measured runs per row (default 3)")
    parser.add_argument("--scale", type=float, default=env_scale,
                        help="multiplies the generated files and bytes (default $BENCH_SCALE or 1)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--churn-files", type=int, default=300_000)
    parser.add_argument("--churn-bytes", type=float, default=2e9)
    parser.add_argument("--churn-layers", type=int, default=20)
    parser.add_argument("--churn-dead", type=float, default=0.30,
                        help="fraction of big-churn's files deleted or rewritten later")
    parser.add_argument("--small-files", type=int, default=1_000_000)
    parser.add_argument("--small-layers", type=int, default=4)
    parser.add_argument("--small-min", type=int, default=64)
    parser.add_argument("--small-max", type=int, default=512)
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds per run; a tool stopped by it is not run again and shows "
                             "as '> TIMEOUT' (default 300)")
    parser.add_argument("--only", default="",
                        help=f"comma-separated groups to (re-)run: {','.join(GROUPS)}; the "
                             "others are taken from the last run's results.json")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: rewrite the document from results.json")
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--no-doc", action="store_true")
    return parser


def ready() -> bool:
    """Whether the machine can run the benchmark; says what is missing when not."""
    if not os.environ.get("DOCKER_HOST"):
        say("DOCKER_HOST is not set; using the default engine socket")
    if not stat.S_ISCHR(os.stat("/dev/null").st_mode):
        say("/dev/null is not a character device (something replaced it); restore it first: "
            "rm /dev/null && mknod -m 666 /dev/null c 1 3")
        return False
    if not os.access(TIME, os.X_OK):
        say(f"missing {TIME} (GNU time, Debian package `time`): it measures peak RSS")
        return False
    for tool in ("layerscope", "dive"):
        if not (VENV_BIN / tool).exists():
            say(f"missing {VENV_BIN / tool}: run `make bench` (it installs both)")
            return False
    return True


def main() -> int:
    options = parser()
    args = options.parse_args()
    only = [g for g in args.only.split(",") if g]
    if args.report_only:
        only = ["none"]
    if unknown := set(only) - set(GROUPS) - {"none"}:
        options.error(f"unknown groups {sorted(unknown)}; choose from {GROUPS}")
    groups = [g for g in only if g != "none"] if only else list(GROUPS)
    if not ready():
        return 2
    # Byte-compile layerscope as installing its wheel would: under PYTHONDONTWRITEBYTECODE (or a
    # read-only checkout) every run would otherwise compile each changed module again (34 ms of a
    # 0.29 s run, measured on size:v1 at 7dffe81)
    run_text([sys.executable, "-m", "compileall", "-q", str(ROOT / "layerscope")])
    (WORK / "logs").mkdir(parents=True, exist_ok=True)
    dive_cfg = dive_config()

    uptimes = [("start", run_text(["uptime"]).strip())]
    start_commit = layerscope_commit()
    inputs: dict[str, dict] = {}
    inputs.update(story_inputs())
    inputs.update(generated_inputs(args, args.scale))
    half = {}
    if "scaling" in groups or only:      # (re-)measured, or their stored rows are reported
        half = generated_inputs(args, args.scale / 2, HALF)
        inputs.update(half)
    problems = validate_inputs(groups, inputs, dive_cfg, args.timeout)
    rows = bench_groups(groups, inputs, half, args, dive_cfg, uptimes)

    this = "`" + " ".join(["scripts/bench.py", *sys.argv[1:]]) + "`" + (
        f" with BENCH_SCALE={os.environ['BENCH_SCALE']}" if "BENCH_SCALE" in os.environ else "") \
        + f" (layerscope at {start_commit} when it started, {layerscope_commit()} when it ended)"
    outcome = Outcome(rows, uptimes, problems, commands=[this] if groups else [])
    results, key = WORK / RESULTS, {"scale": args.scale, "seed": args.seed, "runs": args.runs}
    if only and results.exists():      # re-running some groups: the others from the last run
        outcome = merge_stored(results, key, only, groups, outcome, inputs)
    save(results, key, outcome, inputs)

    if not stat.S_ISCHR(os.stat("/dev/null").st_mode):
        note = ("/dev/null was replaced by a regular file during the run (by another process "
                "writing to it with rename, e.g. `layerscope -o /dev/null` as root); output meant "
                "for it went to that file")
        say(note)
        outcome.problems.append(note)

    print(results_table(outcome.rows))
    print()
    print(targets_table(outcome.rows, inputs))
    info = machine()
    info["date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not args.no_doc:
        write_doc(args.doc, outcome, inputs, info, args)
        say(f"wrote {args.doc.relative_to(ROOT) if args.doc.is_relative_to(ROOT) else args.doc}")
    return 1 if outcome.problems else 0


if __name__ == "__main__":
    sys.exit(main())
