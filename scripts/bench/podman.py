"""The podman group (issue 14's containers-storage figure): the story's v1 loaded once into a
store of the bench's own (podman --root WORK/podman-store, overlay driver, as root), then
  layerscope inspect containers-storage:[overlay@ROOT+RUNROOT]size:v1 --no-cache
      (each layer indexed from its overlay diff directory, sources/containers_storage.py)
  podman save size:v1 > /dev/null      (the export a podman user would otherwise make)
measured in turn within each round. The store is reloaded when the engine's size:v1 has another
image ID than the store's copy; the machine's own podman store is never touched."""

import os
import shutil
import subprocess
from pathlib import Path

from . import VENV_BIN, WORK, say
from .measure import Row, find, measure, measure_in_turn

GROUP = "podman"
IMAGE = "size:v1"
LIMIT = 0.15
"""Issue 14: the store read at most this fraction of `podman save`'s wall time."""
RUNROOT = Path("/run/layerscope-bench-podman")
"""podman's run root: short (podman refuses one over 50 characters) and fixed, because the
store's database records it and refuses another."""


def _flags(root: Path) -> list[str]:
    return ["--root", str(root), "--runroot", str(RUNROOT), "--storage-driver", "overlay"]


def _image_id(command: list[str]) -> str | None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return done.stdout.strip().removeprefix("sha256:") if done.returncode == 0 else None


def load_into_store(root: Path, timeout: float) -> str | None:
    """A problem, or None once the store holds the engine's size:v1 (docker save | podman load
    when it does not yet, or holds another build of it)."""
    wanted = _image_id(["docker", "image", "inspect", "-f", "{{.Id}}", IMAGE])
    if wanted is None:
        return f"{IMAGE} is not in the engine (make samples builds it)"
    held = _image_id(["podman", *_flags(root), "image", "inspect", "--format", "{{.Id}}", IMAGE])
    if held == wanted:
        return None
    say(f"loading {IMAGE} into the bench's podman store {root}")
    archive = WORK / "podman-size-v1.tar"
    try:
        for command in (["docker", "save", "-o", str(archive), IMAGE],
                        ["podman", *_flags(root), "load", "-q", "-i", str(archive)]):
            if measure(command, timeout=max(timeout, 600)).rc != 0:
                return f"{' '.join(command[:2])} ... failed loading {IMAGE} into {root}"
    finally:
        archive.unlink(missing_ok=True)
    os.sync()  # the load's writeback would otherwise slow the first rounds (measured: 0.26x)
    return None


def unmount(root: Path) -> None:
    """containers/storage bind-mounts the store's overlay directory privately and leaves it:
    unmounted after the group, so nothing of the bench stays mounted."""
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts if str(root) in line.split()[1]]
    for point in sorted(points, reverse=True):
        subprocess.run(["umount", point], capture_output=True, timeout=60)


def bench_podman(args) -> list[Row]:
    if not shutil.which("podman"):
        say("podman: missing (scripts/builders.sh installs it)")
        return []
    if os.geteuid() != 0:
        say("podman: the store is read as root reads it; run the bench as root")
        return []
    root = WORK / "podman-store"
    try:
        problem = load_into_store(root, args.timeout)
        if problem:
            say(f"PROBLEM: {problem}")
            return []
        return _measure(args, root)
    finally:
        unmount(root)


def _measure(args, root: Path) -> list[Row]:
    reference = f"containers-storage:[overlay@{root}+{RUNROOT}]{IMAGE}"
    rows = [
        (Row(GROUP, f"layerscope inspect containers-storage:{IMAGE} --no-cache"),
         [str(VENV_BIN / "layerscope"), "inspect", reference, "--format", "json", "--no-cache",
          "-q"]),
        (Row(GROUP, f"podman save {IMAGE} > /dev/null"),
         ["podman", *_flags(root), "save", "-q", IMAGE]),
    ]
    measure(rows[1][1], timeout=args.timeout)                      # the page cache warmed
    return measure_in_turn(rows, args.runs, args.timeout, GROUP)


def podman_targets(rows: list[Row]) -> list[tuple[str, str, str]]:
    """Issue 14's containers-storage target, from the podman group's rows."""
    store, save = find(rows, GROUP, "layerscope inspect"), find(rows, GROUP, "podman save")
    if not (store and save):
        return []
    label = f"podman: inspect containers-storage:{IMAGE} <= {LIMIT} x podman save"
    if save.timed_out() and store.wall_median():
        bound = store.wall_median() / save.timed_out()
        return [(label, f"< {bound:.3f}x (podman save stopped after {save.timed_out():.0f} s)",
                 "PASS" if bound <= LIMIT else "FAIL")]
    if not (store.wall_median() and save.wall_median()):
        return [(label, "layerscope or podman save failed", "n/a")]
    ratio = store.wall_median() / save.wall_median()
    return [(label, f"{ratio:.2f}x", "PASS" if ratio <= LIMIT else "FAIL")]
