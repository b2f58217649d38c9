"""The error family. Library code raises these; only ``__main__`` prints them and exits."""


class LayerscopeError(Exception):
    """A failure the user can act on: a one-line message and an optional hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


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
