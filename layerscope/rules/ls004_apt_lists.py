"""LS004: apt's package lists (from apt-get update) left in the final image."""

import re

from .base import WARNING, Rule
from .live_files import live_findings

LISTS = re.compile(r"^/var/lib/apt/lists/(?!partial/|lock$)[^/]+$")


def check(context):
    candidates = context.live_under(["/var/lib/apt/lists"])
    return live_findings(
        context, RULE, LISTS,
        "end the RUN that runs apt-get update with && rm -rf /var/lib/apt/lists/*",
        "apt list files", candidates=candidates)


RULE = Rule("LS004", WARNING, "apt lists left in the image", check,
            "The index files apt-get update downloads are useless at run time.")
