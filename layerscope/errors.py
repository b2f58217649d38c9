"""The error family. Library code raises these; only ``__main__`` prints them and exits."""

from __future__ import annotations


class LayerscopeError(Exception):
    """A failure the user can act on: a one-line message and an optional hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def prefixed(self, where: str) -> LayerscopeError:
        """The same error, of the same class and hint, its message led by where it happened
        (`IMAGE_A (size:v1)`, `baseline size:v1`), for the commands that read several images."""
        import copy

        located = copy.copy(self)
        located.message = f"{where}: {self.message}"
        located.args = (located.message,)
        return located


class UsageError(LayerscopeError):
    """The command line asked for something that cannot be done."""


class SourceError(LayerscopeError):
    """An image could not be located or its metadata could not be read."""


class LayerReadError(LayerscopeError):
    """A layer blob could not be decompressed or read as a tar stream."""


class FormatError(LayerscopeError):
    """A report could not be rendered or written."""


class ConfigError(LayerscopeError):
    """Settings (flags, config file, .dive-ci) are invalid; every problem is listed at once."""

    def __init__(self, problems: list[str], hint: str | None = None) -> None:
        count = len(problems)
        head = "invalid check setting" if count == 1 else f"{count} invalid check settings"
        super().__init__(f"{head}: " + "; ".join(problems), hint)
        self.problems = list(problems)
