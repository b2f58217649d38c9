"""Run every corpus case through the real command line and hold it to issue 8's promises."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from layerscope import replay
from layerscope.analysis import report_memo
from layerscope.analysis.packages import PACKAGE_DATABASES
from layerscope.layers.cache import CacheStore
from tests.hostile.corpus import CASES, Case

TIMEOUT = 120
MEMORY_CEILING = 1536 << 20
"""Address-space ceiling for the bomb and deep-tree cases: streaming keeps far below it."""


def _limit_memory():  # runs in the child, before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))


def run_cli(reference: str, args: tuple[str, ...], cwd: Path, heavy: bool = False,
            extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, **(extra_env or {}))
    return subprocess.run(
        [sys.executable, "-m", "layerscope", "inspect", reference, "--format", "json", *args],
        capture_output=True, cwd=cwd, timeout=TIMEOUT, env=env,
        preexec_fn=_limit_memory if heavy else None,
    )


def listing(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


def assert_cache_consistent(directory: Path) -> None:
    """Only complete entries: no temporaries, every layer entry and report loads, every config
    matches its name."""
    if not directory.exists():
        return
    cache = CacheStore(directory, capture=PACKAGE_DATABASES)  # as the command line reads
    for path in directory.rglob("*"):
        if path.is_dir():
            assert path.parent == directory, f"unexpected directory {path}"
            continue
        assert not path.name.startswith("."), f"left-over temporary {path}"
        if path.parent.name.startswith("layers-"):
            assert cache._load(path) is not None, f"damaged cache entry {path}"
        elif path.parent.name == replay.DIRECTORY:
            assert replay.load_entry(str(path)) is not None, f"damaged stored output {path}"
        elif path.parent.name.startswith("reports-"):
            payload = cache._load_payload(path)
            assert payload is not None and report_memo.loads(payload) is not None, f"damaged report {path}"
        else:
            assert path.parent.name == "configs", f"unexpected file {path}"
            digest = path.name.replace("-", ":", 1)
            assert cache.config(digest) is not None, f"config {path} does not match its name"


def check_outcome(case: Case, result: subprocess.CompletedProcess) -> None:
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    assert "internal error" not in stderr, stderr
    if case.exit_code == 0:
        assert result.returncode == 0, stderr
        assert result.stdout, "no report"
        check_figures(case, result.stdout.decode("utf-8", "replace"))
        return
    assert result.returncode == case.exit_code, (result.returncode, stderr)
    assert result.stdout == b"", "a report on stdout after an error"
    lines = stderr.splitlines()
    assert 1 <= len(lines) <= 2, stderr
    assert lines[0].startswith("layerscope: error: "), stderr
    message = lines[0].removeprefix("layerscope: error: ")
    assert re.match(case.message, message), f"{message!r} !~ {case.message!r}"
    if len(lines) == 2:
        assert lines[1].startswith("hint: "), stderr
    if case.hint is not None:
        assert len(lines) == 2 and re.search(case.hint, lines[1]), stderr


TEXT_FIGURES = re.compile(r"^(Size|Visible|Wasted) .*?\(([\d,]+) bytes", re.MULTILINE)


def check_figures(case: Case, report: str) -> None:
    """The case's (size, visible, wasted) and warning kinds, from the JSON or the text report."""
    assert case.figures is not None, "an exit 0 case states its figures (see corpus.py)"
    if "--format" in case.args and case.args[case.args.index("--format") + 1] == "text":
        found = {label: int(number.replace(",", "")) for label, number in TEXT_FIGURES.findall(report)}
        assert (found["Size"], found["Visible"], found["Wasted"]) == case.figures
        assert ("\nWarnings\n" in report) == bool(case.warnings)
        return
    document = json.loads(report)
    image = document["image"]
    assert (image["size"], image["visible_bytes"], image["wasted_bytes"]) == case.figures
    assert tuple(w["kind"] for w in document["warnings"]) == case.warnings


def test_every_exit_0_case_states_its_figures():
    assert [c.name for c in CASES if c.exit_code == 0 and c.figures is None] == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("cache", ["cache", "no-cache"])
def test_corpus_case(case: Case, cache: str, tmp_path, isolated_cache):
    # --no-cache takes another path through an archive: large files are skipped, not read
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    reference = case.build(inputs)
    work = tmp_path / "cwd"
    work.mkdir()
    before_inputs = listing(inputs)
    args = case.args if cache == "cache" else (*case.args, "--no-cache")
    result = run_cli(reference, args, work, case.heavy)
    check_outcome(case, result)
    assert listing(work) == set(), "the run wrote into its working directory"
    assert listing(inputs) == before_inputs, "the run changed its input"
    assert_cache_consistent(isolated_cache)
