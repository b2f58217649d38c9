"""`layerscope check`'s arguments and dispatch."""

from __future__ import annotations

import argparse

from ..formats.base import FORMATS
from .arguments import add_reading_options, options, positive

NAME = "check"
HELP = "CI size budget: exit 0 when every budget passes, 1 when one fails"
"""The one-line help `layerscope --help` lists."""


def add(commands) -> None:
    """check's flags come from the budget registry and the settings schema."""
    from ..rules.budgets import BUDGETS
    from ..rules.budgets.base import GLOBS, IDS
    from ..settings import SETTINGS

    check = commands.add_parser(
        NAME, help=HELP,
        description="Judge an image against size budgets (flags, .layerscope.toml, "
                    "[tool.layerscope.check] in pyproject.toml, or dive's .dive-ci). Omitted "
                    "budgets are off. Exit 0 all pass, 1 a budget failed, 2 error.")
    check.add_argument("image", metavar="IMAGE", help="the image to check (any reference form)")
    check.add_argument("--config", metavar="FILE",
                       help="read settings from FILE (default: .layerscope.toml, else "
                            "pyproject.toml, in the current directory)")
    check.add_argument("--dive-ci", metavar="PATH",
                       help="read dive's CI rules (lowestEfficiency, highestWastedBytes, "
                            "highestUserWastedPercent) from PATH")
    budgets = check.add_argument_group("budgets (each off unless given here or in the config)")
    for name, budget in BUDGETS.items():
        if budget.kind in (GLOBS, IDS):
            budgets.add_argument(f"--{name}", metavar=budget.metavar, action="append",
                                 help=budget.help.replace("%", "%%"))
        else:
            budgets.add_argument(f"--{name}", metavar=budget.metavar,
                                 help=budget.help.replace("%", "%%"))
    for name, setting in SETTINGS.items():
        if setting.kind == "bool":
            budgets.add_argument(f"--{name}", action=argparse.BooleanOptionalAction, default=None,
                                 help=setting.help)
        else:
            budgets.add_argument(f"--{name}", metavar=setting.metavar, help=setting.help)
    check.add_argument("--format", choices=tuple(FORMATS["check"]),
                       help="report format on stdout (default: text, or html for -o FILE.html)")
    check.add_argument("--output", "-o", metavar="FILE|FORMAT=FILE", action="append",
                       help="write the --format report to FILE instead of stdout, or (repeatable) "
                            "also write FORMAT to FILE, e.g. -o junit=budget.xml")
    check.add_argument("--top", type=positive, default=5, metavar="N",
                       help="contributors listed under each failure (default: 5)")
    add_reading_options(check)
    check.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..commands import check

    return check.run(options(check.CheckOptions, args, budget_flags=_budget_flags(args)))


def _budget_flags(args: argparse.Namespace) -> dict:
    """check's budget and setting keys -> raw command-line value, None when not given."""
    from ..rules.budgets import BUDGETS
    from ..rules.budgets.base import IDS
    from ..settings import SETTINGS

    values = {}
    for name in (*BUDGETS, *SETTINGS):
        value = getattr(args, name.replace("-", "_"))
        if value is not None and name in BUDGETS and BUDGETS[name].kind == IDS:
            value = [part for item in value for part in item.split(",")]
        values[name] = value
    return values
