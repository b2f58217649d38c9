"""What each group of `make bench` runs, one input or concern per group:
  layerscope inspect ARCHIVE --format json --no-cache > /dev/null                (cold)
  the same without --no-cache, with a fresh LAYERSCOPE_CACHE_DIR filled once (cached)
  dive --ci --source docker-archive ARCHIVE                               (rules disabled)
  layerscope inspect size:v1 from the engine (store, --export)  vs  docker save, dive --source docker
  layerscope --version                                                    (start-up)
and the validation that reads each input once with both tools before it is measured."""

import json
import os
import shutil
import tempfile
from pathlib import Path

from . import HALF, ROOT, VENV_BIN, WORK, say
from .fleet import bench_fleet
from .measure import Row, measure, prewarm, run_text
from .registry import bench_registry


def group_of(row_group: str) -> str:
    return "scaling" if row_group.endswith(HALF) else row_group


def ls_env(cache_dir: Path | None = None) -> dict:
    env = dict(os.environ)
    if cache_dir is not None:
        env["LAYERSCOPE_CACHE_DIR"] = str(cache_dir)
    return env


def dive_config() -> Path:
    """dive's CI rules, all disabled, so that its exit status reflects only errors."""
    path = WORK / "dive-ci.yaml"
    path.write_text("rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: disabled\n"
                    "  highestUserWastedPercent: disabled\n")
    return path


def dive_command(dive_cfg: Path, archive: str) -> list[str]:
    return [str(VENV_BIN / "dive"), "--ci", "--ci-config", str(dive_cfg), "--source",
            "docker-archive", archive]


def validate(name: str, info: dict, dive_cfg: Path, timeout: float) -> list[str]:
    """Reads the archive once with each tool, unmeasured; returns problems found."""
    problems = []
    report = WORK / "logs" / f"{name.replace(':', '-')}.layerscope.json"
    run = measure([str(VENV_BIN / "layerscope"), "inspect", str(info["path"]), "--format", "json",
                   "--no-cache", "-q", "-o", str(report)], timeout=timeout,
                  log=WORK / "logs" / f"{name.replace(':', '-')}.layerscope.log")
    if run.rc != 0:
        problems.append(f"layerscope inspect failed (exit {run.rc}); see "
                        f"{(WORK / 'logs').relative_to(ROOT)}")
    else:
        image = json.loads(report.read_text())["image"]
        size, visible, wasted = image["size"], image["visible_bytes"], image["wasted_bytes"]
        info["layerscope"] = dict(size=size, visible=visible, wasted=wasted)
        if size != visible + wasted:
            problems.append(f"layerscope: size {size} != visible {visible} + wasted {wasted}")
        if "size" in info and (size, wasted) != (info["size"], info["wasted"]):
            problems.append(f"layerscope reports size {size}, wasted {wasted}; the generator "
                            f"wrote size {info['size']}, wasted {info['wasted']}")
    log = WORK / "logs" / f"{name.replace(':', '-')}.dive.log"
    run = measure(dive_command(dive_cfg, str(info["path"])), timeout=timeout, log=log)
    text = log.read_text(errors="replace")
    if run.timed_out:
        info["dive_timeout"] = run          # counted as the first measured run; not repeated
        info.setdefault("dive", []).append(f"did not finish in {timeout:.0f} s (stopped)")
    elif run.rc != 0 or "efficiency:" not in text:
        problems.append(f"dive failed (exit {run.rc}): {text.strip().splitlines()[-1:]}")
    else:
        for line in text.splitlines():
            if "wastedBytes:" in line or "efficiency:" in line:
                info.setdefault("dive", []).append(line.strip())
    return problems


def bench_archive(name: str, info: dict, args, dive_cfg: Path, cached: bool = True) -> list[Row]:
    path = str(info["path"])
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=WORK))
    ls = str(VENV_BIN / "layerscope")
    # The report goes to stdout, which measure() points at /dev/null. Not `-o /dev/null`:
    # layerscope replaces an -o FILE atomically (temporary file + rename), which as root turns
    # /dev/null into a regular file.
    inspect = [ls, "inspect", path, "--format", "json", "-q"]
    cold = Row(name, "layerscope inspect --no-cache (cold)")
    warm = Row(name, "layerscope inspect (cached)")
    dive = Row(name, "dive --ci")
    if cached:       # fill the fresh cache once, unmeasured
        fill = measure(inspect, env=ls_env(cache), timeout=args.timeout)
        if fill.rc != 0:
            warm.note = f"cache fill failed (exit {fill.rc})"
    prewarm(info["path"])
    commands = [(cold, inspect + ["--no-cache"], None), (warm, inspect, ls_env(cache)),
                (dive, dive_command(dive_cfg, path), None)]
    if not cached:
        commands.pop(1)
    if "dive_timeout" in info:
        dive.runs.append(info["dive_timeout"])
        dive.load.append(os.getloadavg()[0])
    for n in range(args.runs):
        for row, cmd, env in commands:
            if row.runs and (row.runs[-1].timed_out or row.runs[-1].rc != 0):
                continue          # a tool that failed or timed out once is not re-run
            row.load.append(os.getloadavg()[0])
            run = measure(cmd, env=env, timeout=args.timeout)
            row.runs.append(run)
            say(f"  {name:10s} {row.label:40s} run {n + 1}: {run.wall:7.2f} s "
                f"{run.rss_kb / 1024:7.0f} MB  exit {run.rc}{' TIMEOUT' if run.timed_out else ''}")
    shutil.rmtree(cache, ignore_errors=True)
    return [cold, warm, dive] if cached else [cold, dive]


def bench_engine(args) -> list[Row]:
    """size:v1 from the engine: the store path (issue 14), the export path, docker save and dive
    reading the engine, measured in turn within each round."""
    base = [str(VENV_BIN / "layerscope"), "inspect", "size:v1", "--format", "json",
            "--no-cache", "-q"]                          # stdout to /dev/null: see bench_archive
    # Not `docker save -o /dev/null`: docker CLIs have written -o through a temporary file
    # renamed over the target (as root, over /dev/null); stdout measures the same transfer.
    rows = [
        (Row("engine", "layerscope inspect size:v1 --no-cache (engine)"), base),
        (Row("engine", "layerscope inspect size:v1 --no-cache --export"), [*base, "--export"]),
        (Row("engine", "docker save size:v1 > /dev/null"), ["docker", "save", "size:v1"]),
        (Row("engine", "dive --ci --source docker size:v1"),
         [str(VENV_BIN / "dive"), "--ci", "--ci-config", str(dive_config()), "--source", "docker",
          "size:v1"]),
    ]
    measure(["docker", "save", "size:v1"], timeout=args.timeout)          # warm the engine up
    for n in range(args.runs):
        for row, command in rows:
            row.load.append(os.getloadavg()[0])
            run = measure(command, timeout=args.timeout)
            row.runs.append(run)
            say(f"  engine     {row.label:40s} run {n + 1}: {run.wall:7.2f} s exit {run.rc}")
    return [row for row, _ in rows]


def bench_startup(args) -> list[Row]:
    row = Row("startup", "layerscope --version")
    measure([str(VENV_BIN / "layerscope"), "--version"])
    for _ in range(max(args.runs, 5)):
        row.load.append(os.getloadavg()[0])
        row.runs.append(measure([str(VENV_BIN / "layerscope"), "--version"]))
    say(f"  startup    median {row.wall_median():.3f} s")
    return [row]



def validate_inputs(groups: list[str], inputs: dict, dive_cfg: Path, timeout: float) -> list[str]:
    """Validates the inputs of the groups to run; returns the problems, each named by input."""
    problems = []
    for name, info in inputs.items():
        if name in groups:
            say(f"validating {name}")
            problems += [f"{name}: {p}" for p in validate(name, info, dive_cfg, timeout)]
    for p in problems:
        say(f"PROBLEM: {p}")
    return problems


def bench_groups(groups: list[str], inputs: dict, half: dict, args, dive_cfg: Path,
                 uptimes: list) -> list[Row]:
    """Measures the groups in order, noting the load (`uptime`) after each in uptimes."""
    rows: list[Row] = []
    for name in groups:
        say(f"measuring {name}")
        if name in inputs:
            rows += bench_archive(name, inputs[name], args, dive_cfg)
        elif name == "engine":
            rows += bench_engine(args)
        elif name == "startup":
            rows += bench_startup(args)
        elif name == "registry":
            rows += bench_registry(args)
        elif name == "fleet":
            rows += bench_fleet(args)
        elif name == "scaling":
            for half_name, info in half.items():
                rows += bench_archive(half_name, info, args, dive_cfg, cached=False)
        uptimes.append((f"after {name}", run_text(["uptime"]).strip()))
    return rows
