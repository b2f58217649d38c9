"""The parts of `make bench` (scripts/bench.py wires them): inputs, measure, groups, targets,
report and results. This package, not scripts/bench.py, is what `import bench` finds there: a
package directory comes before a module of the same name on the import path."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
WORK = ROOT / ".cache" / "bench"
DOC = ROOT / "docs" / "benchmarks.md"
STORY = ("size:v1", "size:v2")
GROUPS = ("size:v1", "size:v2", "big-churn", "many-small", "engine", "podman", "startup",
          "scaling", "registry", "registry-toc", "html", "explore", "fleet")
HALF = "@half"           # the scaling group: the generated images at half the scale


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
