"""README and --help agree: every option of every command is documented, the set-up comes
first, and every example runs as the README shows it, with the exit code it says."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from layerscope.cli import build_parser

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONSOLE = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
EXIT = re.compile(r"#\s*exit (\d+)\s*$")


def test_setup_commands_come_first():
    setup = README.index("## Set up")
    assert README.index("make demo") > setup
    assert README.index("make test") > setup
    assert README.index("make demo") < README.index("## CLI reference")
    assert README.index("pipx install") < setup  # the quick start comes before the set-up


def test_every_option_is_in_the_readme():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, command in commands.items():
        assert f"layerscope {name}" in README
        for action in command._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help") and action.help != "==SUPPRESS==":
                    assert f"`{flag}" in README, f"{name} {flag} is not documented in README.md"


def readme_examples() -> list[tuple[str, int]]:
    """Every `$ ` line of the README's console blocks, with the exit code its `# exit N`
    comment documents (0 without one)."""
    examples = []
    for block in CONSOLE.findall(README):
        for line in block.splitlines():
            if line.startswith("$ "):
                code = EXIT.search(line)
                examples.append((line[2:], int(code.group(1)) if code else 0))
    return examples


def test_the_readme_has_examples_of_every_command_and_exit_code():
    examples = readme_examples()
    for command in ("inspect", "diff", "check", "advise"):
        assert any(f"layerscope {command} " in line for line, _ in examples), command
    assert {code for _, code in examples} == {0, 1}


@pytest.mark.engine
def test_every_readme_example_runs_verbatim(tmp_path):
    """In order, in one fresh directory (so `docker save ... -o size.tar` then `inspect
    size.tar` works as shown), through a `layerscope` on PATH that runs this checkout; an
    example that names `sample_images/` runs from the repository's root, as the README says."""
    bin_dir, work = tmp_path / "bin", tmp_path / "work"
    bin_dir.mkdir()
    work.mkdir()
    shim = bin_dir / "layerscope"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m layerscope "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    for command, code in readme_examples():
        where = ROOT if "sample_images/" in command else work
        result = subprocess.run(["bash", "-c", command], cwd=where, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == code, (command, result.stderr[-2000:])
        assert "Traceback" not in result.stderr, command
    assert (work / "size.tar").is_file() and (work / "budget.xml").is_file()
    assert (work / "diff.md").read_text().startswith("### layerscope diff: ")
