"""The explore group of `make bench` (issue 20), and the child processes it times.

  layerscope inspect ARCHIVE --no-cache          against   explore ARCHIVE --no-cache, until
                                                           its first screen is painted
  moving the cursor in a directory of 100,000 entries: CPU per key, read, handled and repainted

The explorer runs headless (Textual's test driver, 120x40): the same app, reading and first
paint as in a terminal, without a terminal to wait for. A child is `python -m bench.explore
open ARCHIVE` or `python -m bench.explore cursor N`, run with the checkout and its scripts/ on
PYTHONPATH; a cursor child prints its median on stdout. Both commands of a pair run as
`python -m ...` of the same checkout, so the ratio compares this code with itself."""

import asyncio
import gc
import os
import statistics
import sys
import time

ENTRIES = 100_000
KEYS = ["down"] * 40 + ["pagedown"] * 10 + ["up"] * 10 + ["end", "home"]


# -- the children (no bench imports: they run as their own processes) -------------------------

def open_and_paint(reference: str) -> None:
    """What `layerscope explore REFERENCE --no-cache` does up to its first painted screen."""
    gc.disable()  # as __main__ does for every command
    from layerscope.commands.explore import ExploreOptions, build_app
    from layerscope.commands.reading import reading_for

    options = ExploreOptions(image=reference, no_cache=True, quiet=True)
    cache, reading = reading_for(options)
    app = build_app(options, None, cache, reading)

    async def paint() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()

    asyncio.run(paint())
    sys.stdout.flush()
    os._exit(0)


def cursor_costs(entries: int) -> list[float]:
    """CPU seconds per key in a directory of `entries` files, the directory open in the tree."""
    from layerscope.analysis.image_report import analyze
    from layerscope.analysis.step_tree import StepTree
    from layerscope.explore.app import ExploreApp
    from layerscope.explore.tree_view import TreeView
    from layerscope.model import EntryKind, FileEntry, HistoryEntry, Image, Layer

    files = tuple(FileEntry(f"/big/f{i:07d}", EntryKind.FILE, 100 + i % 900, 0o644, 0, 0, None, i)
                  for i in range(entries))
    layer = Layer(0, "sha256:" + "1" * 64, files, sum(f.size for f in files))
    image = Image("bench/wide:latest", "sha256:" + "2" * 64, (), "amd64", "linux",
                  (HistoryEntry("COPY wide /big", False),), (layer,))
    analysis = analyze(image)
    app = ExploreApp(analysis.report, StepTree(analysis))
    costs = []

    async def drive() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("tab", "space")
            await pilot.pause()
            assert len(app.query_one(TreeView).rows) == entries + 1
            for key in KEYS:
                started = time.process_time()
                await pilot.press(key)
                await pilot.pause()
                costs.append(time.process_time() - started)

    asyncio.run(drive())
    return costs


# -- the group ---------------------------------------------------------------------------------

def bench_explore(inputs: dict, args) -> list:
    """explore against inspect on size:v1 and many-small; the cursor in 100,000 entries."""
    from . import ROOT, VENV_BIN, say
    from .measure import Row, Run, measure, prewarm

    # this checkout's layerscope for both commands, whatever the venv's editable install points at
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'scripts'}")
    python = str(VENV_BIN / "python")
    rows = []
    for name in ("size:v1", "many-small"):
        if name not in inputs:
            continue
        path = str(inputs[name]["path"])
        inspect = Row("explore", f"{name}: layerscope inspect --no-cache")
        explore = Row("explore", f"{name}: layerscope explore --no-cache, first screen")
        prewarm(inputs[name]["path"])
        for n in range(args.runs):
            for row, command in (
                    (inspect, [python, "-m", "layerscope", "inspect", path, "--no-cache", "-q"]),
                    (explore, [python, "-m", "bench.explore", "open", path])):
                row.load.append(os.getloadavg()[0])
                run = measure(command, env=env, timeout=args.timeout)
                row.runs.append(run)
                say(f"  explore    {row.label:55s} run {n + 1}: {run.wall:7.2f} s exit {run.rc}")
        if explore.wall_median() and inspect.wall_median():
            explore.note = f"{explore.wall_median() / inspect.wall_median():.2f}x inspect"
        rows += [inspect, explore]
    for entries in (ENTRIES, 100):
        row = Row("explore", f"cursor move, directory of {entries:,} entries (CPU per key)",
                  note=f"seconds: CPU per key, median of {len(KEYS)} keys, headless; no RSS")
        for n in range(args.runs):
            row.load.append(os.getloadavg()[0])
            started = time.perf_counter()
            result = measure_child([python, "-m", "bench.explore", "cursor", str(entries)], env)
            if result is None:
                row.runs.append(Run(time.perf_counter() - started, 0, 0, 1))
                continue
            row.runs.append(Run(result, 0, result, 0))
            say(f"  explore    {row.label:55s} run {n + 1}: {result * 1000:6.1f} ms median")
        rows.append(row)
    return rows


def measure_child(command: list[str], env: dict) -> float | None:
    """The median a cursor child printed, or None when it failed."""
    import subprocess

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return None
    return float(done.stdout.split()[-1])


def explore_targets(rows) -> list[tuple[str, str, str]]:
    """Issue 20's targets: usable within 1.5x inspect --no-cache (both inputs), and a cursor
    move in 100,000 entries within 50 ms."""
    from .measure import find, ratio, verdict

    out = []
    for name in ("size:v1", "many-small"):
        inspect = find(rows, "explore", f"{name}: layerscope inspect")
        explore = find(rows, "explore", f"{name}: layerscope explore")
        if inspect and explore:
            r = ratio(explore.wall_median(), inspect.wall_median())
            out.append((f"explore {name}: first screen <= 1.5 x inspect --no-cache",
                        f"{r:.2f}x" if r else "-", verdict(None if r is None else r <= 1.5)))
    cursor = find(rows, "explore", f"cursor move, directory of {ENTRIES:,}")
    control = find(rows, "explore", "cursor move, directory of 100 ")
    if cursor and cursor.wall_median() is not None:
        ms = cursor.wall_median() * 1000
        small = f"; 100 entries {control.wall_median() * 1000:.1f} ms" if control and \
            control.wall_median() is not None else ""
        out.append(("explore: cursor move in 100,000 entries repaints < 50 ms",
                    f"{ms:.1f} ms CPU per key, headless{small}", verdict(ms < 50)))
    return out


def main(argv: list[str]) -> int:
    if argv[:1] == ["open"] and len(argv) == 2:
        open_and_paint(argv[1])
    if argv[:1] == ["cursor"] and len(argv) == 2:
        print(f"{statistics.median(cursor_costs(int(argv[1]))):.6f}")
        return 0
    print("usage: python -m bench.explore open ARCHIVE | cursor ENTRIES", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
