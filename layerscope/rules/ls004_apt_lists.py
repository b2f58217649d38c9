"""LS004: apt's package lists (from apt-get update) left in the final image."""

import re

from .base import WARNING, Rule
from .live_files import live_findings

LISTS = re.compile(r"^/var/lib/apt/lists/(?!partial/|lock$)[^/]+$")


def check(context):
    candidates = context.live_under(["/var/lib/apt/lists"])
    return live_findings(
        context, RULE, LISTS,
        "remove them after the last apt-get install that needs them, in the same RUN as "
        "apt-get update: RUN apt-get update && apt-get install ... && rm -rf "
        "/var/lib/apt/lists/* (removing them before the install breaks it; a later RUN saves "
        "nothing)",
        "apt list files", candidates=candidates)


RULE = Rule("LS004", WARNING, "apt lists left in the image", check,
            "The index files apt-get update downloads are useless at run time.")
