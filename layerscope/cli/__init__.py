"""The command line: builds the parser and hands the parsed options to the one command module
asked for. Nothing here reads an image, renders a report or prints an error.

One module a command (`inspect.py`, `diff.py`, ...), each with `add(commands)`, its parser, and
`run(args)`, its dispatch to `layerscope.commands`; `arguments.py` holds the argument types and
the options every reading command shares."""

from __future__ import annotations

import argparse

from .. import __version__
from ..errors import UsageError
from . import advise, cache, check, diff, explore, fleet, inspect


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing, so __main__ stays the one error boundary."""

    def error(self, message: str):  # argparse's hook
        raise UsageError(message, hint=f"see `{self.prog} --help`")

    def parse_args(self, args=None, namespace=None):  # argparse's entry point
        """As argparse's, but an unknown option names the one meant and the command's help."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = self._command_parser(getattr(parsed, "command", None))
            raise UsageError(f"unrecognized arguments: {' '.join(extras)}",
                             hint=_suggestion(extras, command or self))
        return parsed

    def _command_parser(self, name: str | None):
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and name in action.choices:
                return action.choices[name]
        return None


def _suggestion(extras: list[str], parser: argparse.ArgumentParser) -> str:
    """'did you mean --format? see `layerscope inspect --help`' for a misspelt option."""
    import difflib

    help_hint = f"see `{parser.prog} --help`"
    known = [flag for action in parser._actions for flag in action.option_strings
             if action.help != argparse.SUPPRESS]
    for word in extras:
        if word.startswith("--"):
            near = difflib.get_close_matches(word.partition("=")[0], known, n=1, cutoff=0.6)
            if near:
                return f"did you mean {near[0]}? {help_hint}"
    return help_hint


def build_parser(command: str | None = None) -> Parser:
    """The command line, documented in README.md (kept in step with a test).

    With `command`, the other commands get only their one-line help: building every command's
    flags cost each run 20 ms (argparse looks up its translations for every parser), and
    check's come from the budget registry and the config schema, whose imports cost more."""
    parser = Parser(
        prog="layerscope",
        description="Explains where the bytes of a container image went: per Dockerfile step, "
                    "exactly, with the files one step wrote and a later step deleted or replaced.",
    )
    parser.add_argument("--version", action="version", version=f"layerscope {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback when something fails")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    for module in (inspect, diff, cache, check, advise, explore, fleet):
        if command in (None, module.NAME):
            module.add(commands)
        else:
            commands.add_parser(module.NAME, help=module.HELP)
    return parser
