"""Replaying a finished inspect: the same command on the same unchanged image files prints the
same bytes, so a repeat run stats the files and copies the stored output, reading no layer and
importing none of the analysis.

The key is what the output depends on before anything is read: the arguments, the working
directory, each named image file's identity (device, inode, size, modification and change
times; for an OCI layout, its index.json too; for a dir: layout, its manifest.json; for
containers-storage:, the storage.conf and user that choose the store), the output encoding,
the machine (the default platform), and the code (layerscope's, the libraries that shape the
output, Python's). The entry stored under it lists every file the output was read from, as the
source names them (an OCI or dir: layout's documents and each layer blob its manifest names,
whether read or cached; a store's images.json, layers.json and the image's config), with their
identities; a repeat run replays only when every one is unchanged.

Like git's index, a stat identity cannot see a rewrite that keeps the size and lands within the
filesystem's timestamp granularity of the recorded time ("racily clean"). So an output is kept
only when every file's modification time is SAFE_AGE_NS older than the moment the run began,
before anything was read: any later rewrite gets a later time. Only `inspect` to stdout of
images named by path or in podman's store is replayed: an engine tag can move without any file
changing (the engine's metadata is its own, not containers/storage's index files), and
--no-cache, --verify, --debug, -o and any option not listed here always run in full.
"""

from __future__ import annotations

import marshal
import os
import time

import xxhash

from .fingerprint import code_fingerprint
from .layers.cachedir import cache_directory, mark_used, owned_by_this_user
from .layers.framing import frame, unframe
from .output import stdout_encoding
from .sources.reference import local_path

FORMAT = 3  # 3: an entry lists every file the output was read from, and when the run began
MAGIC = b"LSRP"
DIRECTORY = f"outputs-v{FORMAT}"
SAFE_AGE_NS = 3_000_000_000
"""How much older than the run a file's modification time must be for the output to be kept:
a rewrite within the filesystem's granularity keeps the old time (whole seconds on ext4 with
128-byte inodes and some network filesystems, two seconds on FAT), and one more second allows
for a file server's clock running ahead of this machine's."""
VALUE_OPTIONS = frozenset({"--format", "--top", "--platform", "--base", "--max-ratio", "--files",
                           "--sort"})
"""inspect's options that take a value and may be replayed (a test keeps these in step with
the parser)."""
FLAG_OPTIONS = frozenset({"--packages", "--quiet", "-q", "--no-progress", "--no-trunc", "--wide",
                          "--expand"})
"""inspect's options without a value that may be replayed."""
ENVIRONMENT = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "COLUMNS", "NO_COLOR", "TERM")
"""The variables the output depends on (the text's width and colour: formats.fit)."""
STORAGE = "containers-storage:"
STORAGE_CONF = "/etc/containers/storage.conf"
"""containers-storage's storage.conf when CONTAINERS_STORAGE_CONF names none (as
sources.containers_storage reads it; not imported: a replayed run imports no source)."""


class Pending:
    """A run whose output may be kept for replay (a plain class: dataclasses would cost a
    replayed run more to import than it takes)."""

    __slots__ = ("name", "platform", "references", "started_ns")

    def __init__(self, name: str, started_ns: int, references: list[str],
                 platform: str | None) -> None:
        self.name = name
        """The key: the entry's file name in the cache."""
        self.started_ns = started_ns
        """When the run began (time.time_ns()), before any file was read."""
        self.references = references
        """The image references the output was read from (the image, then --base)."""
        self.platform = platform
        """--platform, as given."""


def replay_key(arguments: list[str], fingerprint=code_fingerprint) -> Pending | None:
    """This command's key, or None when it must run in full. `fingerprint` gives the code's
    (the run passes its RunFingerprint, so the report key reuses it)."""
    started = time.time_ns()
    parsed = _images(arguments) if arguments and arguments[0] == "inspect" else None
    if parsed is None:
        return None
    images, platform = parsed
    states = []
    for image in images:
        state = _file_state(image)
        if state is None:
            return None
        states.append(state)
    if not states:
        return None
    parts = (FORMAT, fingerprint(), os.getcwd(), arguments, states, stdout_encoding(),
             os.uname().machine, [os.environ.get(name) for name in ENVIRONMENT], _terminal())
    key = xxhash.xxh3_128_hexdigest(repr(parts).encode("utf-8", "surrogateescape"))
    return Pending(key, started, images, platform)


def _terminal() -> int | None:
    """stdout's terminal width, None when it is no terminal: the text is fitted to it and
    coloured on it."""
    try:
        return os.get_terminal_size(1).columns if os.isatty(1) else None
    except OSError:
        return None


def _images(arguments: list[str]) -> tuple[list[str], str | None] | None:
    """(the image and --base references, --platform) of inspect's arguments; None when an
    option is not one that may be replayed."""
    images: list[str] = []
    platform = None
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
            elif name == "--platform":
                platform = value
        elif equals or name not in FLAG_OPTIONS:
            return None
    return images, platform


def _file_state(reference: str) -> tuple | None:
    """The identity of the file or layout a reference names, found as open_source finds it;
    None for anything else."""
    if reference.startswith(STORAGE):
        return _store_state(reference)
    path = local_path(reference)
    if path is None:
        return None
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None  # an engine image, or a run that fails anyway
    state = [path, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]
    if os.path.isdir(path):
        # an OCI layout's index.json, or a dir: layout's manifest.json: rewritten in place, so
        # the directory's own times need not change
        for document in ("index.json", "manifest.json"):
            try:
                index = os.stat(os.path.join(path, document))
                break
            except OSError:
                continue
        else:
            return None
        state += [document, index.st_ino, index.st_size, index.st_mtime_ns, index.st_ctime_ns]
    return tuple(state)


def _store_state(reference: str) -> tuple:
    """What chooses the store a containers-storage reference without a [ROOT] reads (storage.conf,
    the user, the data directory) before any of it is read; the entry then lists the store's
    own files (ContainersStorageSource.local_files)."""
    conf = os.environ.get("CONTAINERS_STORAGE_CONF") or STORAGE_CONF
    return (reference, os.geteuid(), conf, _identity(conf),
            os.environ.get("XDG_DATA_HOME"), os.environ.get("HOME"))


def _identity(path: str) -> tuple | None:
    """(device, inode, size, mtime_ns, ctime_ns) of a file, or None when it cannot be stat'ed."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def stored_output(pending: Pending) -> bytes | None:
    """The output stored for this run, when it is intact, in this user's own cache, and every
    file it was read from is unchanged."""
    directory = cache_directory()
    try:
        if not owned_by_this_user(directory):
            return None
    except OSError:
        return None
    return load_entry(os.path.join(directory, DIRECTORY, pending.name))


def load_entry(path: str) -> bytes | None:
    """The output in a stored entry, or None when it is missing, not intact, or any file it
    lists changed (or was too young to trust when the entry was written)."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError:
        return None
    body = unframe(MAGIC, FORMAT, data)
    if body is None:
        return None
    try:
        started, files, output = marshal.loads(body)
        trusted = bool(files) and all(
            _identity(name) == tuple(identity) and identity[3] < started - SAFE_AGE_NS
            for name, *identity in files)
    except (ValueError, TypeError, EOFError, IndexError):
        return None
    if not trusted or not isinstance(output, bytes):
        return None
    mark_used(path)
    return output


def entry(started_ns: int, files: list[tuple], output: bytes) -> bytes:
    """An output framed for the cache (layers.framing), with when its run began and the
    (path, device, inode, size, mtime_ns, ctime_ns) of every file it was read from."""
    return frame(MAGIC, FORMAT, marshal.dumps((started_ns, tuple(files), output), 2))


def store(pending: Pending, output: bytes, cache) -> None:
    """Keep a finished run's output in `cache` (a layers.cache.CacheStore) for replay, unless
    a file it was read from is too young to trust (see SAFE_AGE_NS) or is not a local file."""
    from .errors import LayerscopeError
    from .sources.base import LocalFiles
    from .sources.reference import open_source

    paths: list[str] = []
    try:
        for reference in pending.references:
            source = open_source(reference, pending.platform)
            if not isinstance(source, LocalFiles):
                return
            paths.extend(source.local_files())
    except LayerscopeError:
        return  # changed since the run read it: the next run reads it again anyway
    files = []
    for path in dict.fromkeys(paths):
        identity = _identity(path)
        if identity is None or identity[3] >= pending.started_ns - SAFE_AGE_NS:
            return
        files.append((path, *identity))
    cache.store_file(f"{DIRECTORY}/{pending.name}", entry(pending.started_ns, files, output))
