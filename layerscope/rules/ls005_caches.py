"""LS005: package-manager caches and temporary files left in the final image."""

import re

from .base import WARNING, Rule
from .live_files import live_findings

HOME = r"^/(?:root|home/[^/]+)"
CACHES = (
    ("apt archives", r"^/var/cache/apt/(?:archives/.*\.deb|[^/]+\.bin)$",
     "apt-get clean (or rm -rf /var/cache/apt/archives/*.deb) in the RUN that installs"),
    ("pip cache", HOME + r"/\.cache/pip/",
     "pip install --no-cache-dir (or ENV PIP_NO_CACHE_DIR=1, or RUN --mount=type=cache)"),
    ("npm cache", HOME + r"/\.npm/",
     "npm ci && npm cache clean --force in one RUN, or RUN --mount=type=cache,target=/root/.npm"),
    ("yarn cache", HOME + r"/\.cache/yarn/|^/usr/local/share/\.cache/yarn/",
     "yarn cache clean in the RUN that installs"),
    ("apk cache", r"^/var/cache/apk/", "apk add --no-cache"),
    ("yum/dnf cache", r"^/var/cache/(?:yum|dnf)/",
     "yum clean all / dnf clean all in the RUN that installs"),
    ("temporary files", r"^/(?:tmp|var/tmp)/",
     "delete temporary files in the RUN that creates them (or use RUN --mount=type=tmpfs)"),
)


DIRECTORIES = ("/var/cache", "/root", "/home", "/tmp", "/var/tmp", "/usr/local/share/.cache")
"""Every pattern above lies below one of these: only their subtrees are walked."""
ANY_CACHE = re.compile("|".join(f"(?:{pattern})" for _, pattern, _ in CACHES))


def check(context):
    # one walk of the cache directories, then each kind looks only at the paths that matched
    candidates = [(path, size) for path, size in context.live_under(DIRECTORIES)
                  if ANY_CACHE.search(path)]
    findings = []
    for what, pattern, fix in CACHES:
        findings += live_findings(context, RULE, re.compile(pattern), fix, what + " files",
                                  candidates=candidates)
    return findings


RULE = Rule("LS005", WARNING, "package-manager caches left in the image", check,
            "apt archives, pip, npm, yarn, apk, yum/dnf caches and /tmp files that ship.")
