"""What each group of `make bench` runs, one input or concern per group:
  layerscope inspect ARCHIVE --format json --no-cache > /dev/null                (cold)
  the same without --no-cache, with a fresh LAYERSCOPE_CACHE_DIR filled once (cached)
  dive --ci --source docker-archive ARCHIVE                               (rules disabled)
  layerscope inspect size:v1 and big-churn from the engine (store, --export)  vs  docker save,
    dive --source docker
  layerscope inspect containers-storage:size:v1 (a bench-owned store)  vs  podman save (podman.py)
  layerscope --version                                                    (start-up)
and the validation that reads each input once with both tools before it is measured."""

import json
import os
import shutil
import tempfile
from pathlib import Path

from . import HALF, ROOT, VENV_BIN, WORK, say
from .explore import bench_explore
from .fleet import bench_fleet
from .measure import Row, ls_env, measure, measure_in_turn, prewarm, run_text
from .registry import bench_registry, bench_registry_toc


def group_of(row_group: str) -> str:
    if row_group.endswith(HALF):
        return "scaling"
    return "engine" if row_group.startswith("engine") else row_group


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


ENGINE_IMAGES = (("engine", "size:v1"), ("engine-big", "bench/big-churn:latest"))
"""(row group, engine image) of the engine group: the story's v1, and big-churn (300k files)
loaded from its archive."""


def load_into_engine(image: str, archive: Path | None, timeout: float) -> str | None:
    """A problem, or None once `image` is in the engine (`docker load` of its archive)."""
    if measure(["docker", "image", "inspect", image], timeout=timeout).rc == 0:
        return None
    if archive is None:
        return f"{image} is not in the engine and no archive of it was generated"
    say(f"loading {archive.name} into the engine as {image}")
    if measure(["docker", "load", "-i", str(archive)], timeout=max(timeout, 600)).rc != 0:
        return f"docker load -i {archive} failed"
    return None


def bench_engine(args, inputs: dict) -> list[Row]:
    """Each engine image: the store path (issue 14), the export path, docker save and dive
    reading the engine, measured in turn within each round."""
    rows = []
    for group, image in ENGINE_IMAGES:
        archive = inputs.get("big-churn", {}).get("path") if group == "engine-big" else None
        problem = load_into_engine(image, archive, args.timeout)
        if problem:
            say(f"PROBLEM: {problem}")
            continue
        rows += _bench_engine_image(args, group, image)
    return rows


def _bench_engine_image(args, group: str, image: str) -> list[Row]:
    base = [str(VENV_BIN / "layerscope"), "inspect", image, "--format", "json",
            "--no-cache", "-q"]                          # stdout to /dev/null: see bench_archive
    # Not `docker save -o /dev/null`: docker CLIs have written -o through a temporary file
    # renamed over the target (as root, over /dev/null); stdout measures the same transfer.
    rows = [
        (Row(group, f"layerscope inspect {image} --no-cache (engine)"), base),
        (Row(group, f"layerscope inspect {image} --no-cache --export"), [*base, "--export"]),
        (Row(group, f"docker save {image} > /dev/null"), ["docker", "save", image]),
        (Row(group, f"dive --ci --source docker {image}"),
         [str(VENV_BIN / "dive"), "--ci", "--ci-config", str(dive_config()), "--source", "docker",
          image]),
    ]
    measure(["docker", "save", image], timeout=args.timeout)          # warm the engine up
    return measure_in_turn(rows, args.runs, args.timeout, group)


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


def _group_runners(inputs: dict, half: dict, args, dive_cfg: Path) -> dict:
    """Group name -> what measures it (the archives' groups are measured by bench_archive)."""
    from .html import bench_html
    from .podman import bench_podman

    def scaling():
        return [row for half_name, info in half.items()
                for row in bench_archive(half_name, info, args, dive_cfg, cached=False)]

    return {
        "engine": lambda: bench_engine(args, inputs),
        "podman": lambda: bench_podman(args),
        "startup": lambda: bench_startup(args),
        "registry": lambda: bench_registry(args),
        "registry-toc": lambda: bench_registry_toc(args),
        "html": lambda: bench_html(inputs, args),
        "explore": lambda: bench_explore(inputs, args),
        "fleet": lambda: bench_fleet(args),
        "scaling": scaling,
    }


def bench_groups(groups: list[str], inputs: dict, half: dict, args, dive_cfg: Path,
                 uptimes: list) -> list[Row]:
    """Measures the groups in order, noting the load (`uptime`) after each in uptimes."""
    runners = _group_runners(inputs, half, args, dive_cfg)
    rows: list[Row] = []
    for name in groups:
        say(f"measuring {name}")
        if name in inputs:
            rows += bench_archive(name, inputs[name], args, dive_cfg)
        elif name in runners:
            rows += runners[name]()
        uptimes.append((f"after {name}", run_text(["uptime"]).strip()))
    return rows
