"""Settings: config files (.layerscope.toml, pyproject.toml), dive's .dive-ci and flags, read
one way and resolved in one precedence order, for `check` and `advise`."""

from __future__ import annotations

from .advise import advise_ignore
from .check import SETTINGS, CheckSettings, load_settings
from .files import CONFIG_FILES
from .values import Invalid, parse_growth, parse_size

__all__ = ["CONFIG_FILES", "SETTINGS", "CheckSettings", "Invalid", "advise_ignore",
           "load_settings", "parse_growth", "parse_size"]
