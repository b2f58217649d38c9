"""Replaying a finished inspect: the same command on the same unchanged image file prints the
same bytes, so a repeat run stats the file and copies the stored output, reading no layer and
importing none of the analysis.

The key is everything the output depends on: the arguments, the working directory, each image
file's identity (device, inode, size, modification and change times; for an OCI layout, its
index.json too), the output encoding, the machine (the default platform), and layerscope's own
code. Only `inspect` to stdout of images named by path is replayed: an engine tag can move
without any file changing, and --no-cache, --verify, --debug, -o and any option not listed here
always run in full.
"""

from __future__ import annotations

import os

import xxhash

from .fingerprint import code_fingerprint
from .layers.cachedir import cache_directory, mark_used, owned_by_this_user
from .layers.framing import frame, unframe
from .output import stdout_encoding
from .sources.reference import local_path

FORMAT = 2  # 2: framed by layers.framing (the header carries the Python version)
MAGIC = b"LSRP"
DIRECTORY = f"outputs-v{FORMAT}"
VALUE_OPTIONS = frozenset({"--format", "--top", "--platform", "--base", "--max-ratio"})
"""inspect's options that take a value and may be replayed (a test keeps these in step with
the parser)."""
FLAG_OPTIONS = frozenset({"--packages", "--quiet", "-q", "--no-progress"})
"""inspect's options without a value that may be replayed."""
ENVIRONMENT = ("LANG", "LC_ALL", "LC_CTYPE", "TZ")


def replay_key(arguments: list[str], fingerprint=code_fingerprint) -> str | None:
    """The key of this command's output, or None when it must run in full. `fingerprint` gives
    the code's (the run passes its RunFingerprint, so the report key reuses it)."""
    if not arguments or arguments[0] != "inspect":
        return None
    images: list[str] = []
    position = 1
    while position < len(arguments):
        token = arguments[position]
        position += 1
        if not token.startswith("-"):
            images.append(token)
            continue
        name, equals, value = token.partition("=")
        if name in VALUE_OPTIONS:
            if not equals:
                if position == len(arguments):
                    return None
                value = arguments[position]
                position += 1
            if name == "--base":
                images.append(value)
        elif equals or name not in FLAG_OPTIONS:
            return None
    states = []
    for image in images:
        state = _file_state(image)
        if state is None:
            return None
        states.append(state)
    if not states:
        return None
    parts = (FORMAT, fingerprint(), os.getcwd(), arguments, states, stdout_encoding(),
             os.uname().machine, [os.environ.get(name) for name in ENVIRONMENT])
    return xxhash.xxh3_128_hexdigest(repr(parts).encode("utf-8", "surrogateescape"))


def _file_state(reference: str) -> tuple | None:
    """The identity of the file or layout a reference names, found as open_source finds it;
    None for anything else."""
    path = local_path(reference)
    if path is None:
        return None
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None  # an engine image, or a run that fails anyway
    state = [path, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]
    if os.path.isdir(path):
        try:
            index = os.stat(os.path.join(path, "index.json"))
        except OSError:
            return None
        state += [index.st_ino, index.st_size, index.st_mtime_ns, index.st_ctime_ns]
    return tuple(state)


def stored_output(key: str) -> bytes | None:
    """The output stored under key, when it is intact and in this user's own cache."""
    directory = cache_directory()
    try:
        if not owned_by_this_user(directory):
            return None
    except OSError:
        return None
    return load_entry(os.path.join(directory, DIRECTORY, key))


def load_entry(path: str) -> bytes | None:
    """The output in a stored entry, or None when it is missing or not intact."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError:
        return None
    body = unframe(MAGIC, FORMAT, data)
    if body is not None:
        mark_used(path)
    return body


def entry(output: bytes) -> bytes:
    """An output framed for the cache (layers.framing), the bytes kept as written."""
    return frame(MAGIC, FORMAT, output)
