"""README and --help agree: every option of every command is documented, and the set-up comes first."""

from __future__ import annotations

from pathlib import Path

from layerscope.cli import build_parser

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_setup_commands_come_first():
    setup = README.index("## Set up")
    assert README.index("make demo") > setup
    assert README.index("make test") > setup
    assert README.index("make demo") < README.index("## CLI reference")


def test_every_option_is_in_the_readme():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, command in commands.items():
        assert f"layerscope {name}" in README
        for action in command._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help") and action.help != "==SUPPRESS==":
                    assert f"`{flag}" in README, f"{name} {flag} is not documented in README.md"
