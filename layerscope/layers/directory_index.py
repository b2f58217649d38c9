"""Index an unpacked layer directory as the layer's tar would index: the same FileEntry tuples,
without building or reading the tar.

The directory is an overlay upper directory as the Docker engine's overlay2 store keeps one
(containers-storage's overlay layers have the same layout). What its tar says is what Docker's
own layer writer (pkg/archive, overlay whiteout format) writes for it, as layers.tarindex then
reads it:

- members in Go's filepath.Walk order: a directory, then its contents by name (bytewise), depth
  first; the root itself is no member;
- a regular file counts st_size, a symlink the length of its target; a second path of an inode
  (any non-directory with more than one link) is a hard link to the first path met, counting 0;
- a 0/0 character device is a whiteout (the tar's `.wh.NAME`); a directory with an opaque xattr
  is followed by its `.wh..wh..opq` marker; any name starting `.wh.` reads as tarindex reads it;
- sockets are left out (the writer skips them); other devices and fifos count 0;
- mode is st_mode, file-type bits included as Docker's writer adds them, or only the permission
  bits (`type_bits=False`) for a layer another writer made.

Contents are read only where asked: the files a capture policy keeps, and every file with
`hash_all`; any other file's content_hash is None and it is listed in IndexedBlob.deferred
(offset -1: there is no tar), so no persistent cache keeps the index. hash_files hashes chosen
files afterwards.

Nothing is written and no symlink is followed: every directory and file is opened relative to
its parent directory's descriptor with O_NOFOLLOW, read-only, without touching access times
where the process may ask that.
"""

from __future__ import annotations

import os
import stat
from operator import attrgetter

import xxhash

from ..errors import LayerReadError
from ..model import EntryKind, FileEntry
from .blob import IndexedBlob
from .tarindex import CAPTURE_LIMIT, OPAQUE_MARKER, WHITEOUT_PREFIX, CapturePolicy

OPAQUE_XATTRS = ("trusted.overlay.opaque", "user.overlay.opaque")
"""Where overlayfs marks an opaque directory: as root, and with the userxattr mount option."""
MAX_DEPTH = 256
"""Directories nested deeper than this are refused (a LayerReadError): the walk holds one
descriptor per level, so the path it came down stays the one it listed."""
READ_CHUNK = 4 << 20
FILE, DIRECTORY, SYMLINK, HARDLINK, WHITEOUT, OPAQUE, OTHER = map(int, EntryKind)
_NOATIME = getattr(os, "O_NOATIME", 0) if hasattr(os, "geteuid") and os.geteuid() == 0 else 0
# O_NOATIME is refused to a process that owns neither the file nor CAP_FOWNER: root only
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK | _NOATIME
_DIRECTORY_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_DIRECTORY | _NOATIME
_EMPTY_HASH = xxhash.xxh3_64_intdigest(b"")
_new_entry = tuple.__new__
_NAME = attrgetter("name")


def index_directory(root: str, *, capture: CapturePolicy | None = None, hash_all: bool = False,
                    type_bits: bool = True,
                    opaque_xattrs: tuple[str, ...] = OPAQUE_XATTRS) -> IndexedBlob:
    """The layer index of the directory `root` (see the module's docstring); an unreadable or
    vanishing directory is a LayerReadError."""
    try:
        return _Walk(capture, hash_all, type_bits, opaque_xattrs).run(root)
    except OSError as error:
        raise LayerReadError(f"cannot read the layer directory {root}: "
                             f"{error.strerror or error}") from error


def hash_files(root: str, paths: list[str]) -> list[int]:
    """xxh3-64 of the regular file at each layer path ("/usr/bin/x") of the directory `root`,
    every component opened without following a symlink."""
    hashes = []
    try:
        top = os.open(root, _DIRECTORY_FLAGS)
        try:
            for path in paths:
                directory, _, name = path.rpartition("/")
                descriptors = []
                try:
                    parent = top
                    for part in directory.split("/")[1:]:
                        parent = os.open(part, _DIRECTORY_FLAGS, dir_fd=parent)
                        descriptors.append(parent)
                    size = os.stat(name, dir_fd=parent, follow_symlinks=False).st_size
                    hashes.append(_read(parent, name, size, False)[0])
                finally:
                    for descriptor in descriptors:
                        os.close(descriptor)
        finally:
            os.close(top)
    except OSError as error:
        raise LayerReadError(f"cannot read the layer directory {root}: "
                             f"{error.strerror or error}") from error
    return hashes


def _read(parent: int, name: str, size: int, keep: bool) -> tuple[int, bytes | None]:
    """(xxh3-64 of the file's `size` bytes, the bytes when `keep`); a file that is not a
    regular file any more, or not of that size, is a LayerReadError."""
    descriptor = os.open(name, _FILE_FLAGS, dir_fd=parent)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise LayerReadError(f"{name} changed while the layer was read")
        if keep or size <= READ_CHUNK:
            data = os.read(descriptor, size + 1) if size else b""
            while len(data) < size:
                more = os.read(descriptor, size + 1 - len(data))
                if not more:
                    break
                data += more
            if len(data) != size:
                raise LayerReadError(f"{name} changed while the layer was read")
            return xxhash.xxh3_64_intdigest(data), data if keep else None
        digest = xxhash.xxh3_64()
        buffer = bytearray(READ_CHUNK)
        view = memoryview(buffer)
        remaining = size
        while remaining:
            count = os.readv(descriptor, [view[:min(remaining, READ_CHUNK)]])
            if not count:
                raise LayerReadError(f"{name} changed while the layer was read")
            digest.update(view[:count])
            remaining -= count
        return digest.intdigest(), None
    finally:
        os.close(descriptor)


def _listing(descriptor: int) -> list:
    """The directory's members in the order Go's filepath.Walk visits them: by name, bytewise."""
    with os.scandir(descriptor) as items:
        listing = sorted(items, key=_NAME)
    # str order is UTF-8 byte order but for the surrogates that stand for undecodable bytes
    if not all(item.name.isascii() for item in listing):
        listing.sort(key=lambda item: item.name.encode("utf-8", "surrogateescape"))
    return listing


class _Walk:
    """One walk of one layer directory."""

    def __init__(self, capture: CapturePolicy | None, hash_all: bool, type_bits: bool,
                 opaque_xattrs: tuple[str, ...]) -> None:
        self.capture = capture
        self.hash_all = hash_all
        self.mode_mask = 0o177777 if type_bits else 0o7777
        self.opaque_xattrs = opaque_xattrs
        self.entries: list[FileEntry] = []
        self.captured: dict[str, bytes] = {}
        self.deferred: list[tuple[int, int, int]] = []
        self.total = 0
        self.seen: dict[tuple[int, int], str] = {}
        """(device, inode) -> the first path of each multiply-linked non-directory."""

    def run(self, root: str) -> IndexedBlob:
        top = os.open(root, _DIRECTORY_FLAGS)
        stack = [(top, "", iter(_listing(top)))]
        try:
            while stack:
                descriptor, prefix, items = stack[-1]
                for item in items:
                    child = self._member(descriptor, prefix, item)
                    if child is not None:
                        if len(stack) >= MAX_DEPTH:
                            os.close(child)
                            raise LayerReadError(f"directories nested deeper than {MAX_DEPTH} "
                                                 f"levels at {prefix}/{item.name}")
                        stack.append((child, f"{prefix}/{item.name}", iter(_listing(child))))
                        break
                else:
                    stack.pop()
                    os.close(descriptor)
        finally:
            for descriptor, _, _ in stack:
                os.close(descriptor)
        return IndexedBlob(tuple(self.entries), self.total, None, "tar", self.captured,
                           deferred=tuple(self.deferred))

    def _marker(self, directory: str, base: str) -> None:
        """What tarindex makes of a member named `.wh.*` in `directory`."""
        if base == OPAQUE_MARKER:
            self.entries.append(FileEntry(directory or "/", OPAQUE, 0))
        elif not base.startswith(".wh..wh."):  # .wh..wh.plnk and such: aufs bookkeeping
            self.entries.append(FileEntry(f"{directory}/{base[4:]}", WHITEOUT, 0))

    def _opaque(self, descriptor: int) -> bool:
        for name in self.opaque_xattrs:
            try:
                if os.getxattr(descriptor, name) == b"y":
                    return True
            except OSError:  # no such attribute, or no xattrs on this filesystem
                continue
        return False

    def _member(self, parent: int, prefix: str, item) -> int | None:
        """Index one directory member; for a directory, its open descriptor to walk next."""
        name = item.name
        path = f"{prefix}/{name}"
        info = item.stat(follow_symlinks=False)
        mode = info.st_mode
        kind = stat.S_IFMT(mode)
        shown = mode & self.mode_mask
        entries = self.entries
        if kind == stat.S_IFDIR:
            return self._directory(parent, prefix, name, info, shown)
        if kind == stat.S_IFCHR and info.st_rdev == 0:  # overlay's whiteout: `.wh.NAME` in tar
            self._marker(prefix, WHITEOUT_PREFIX + name)
            return None
        if info.st_nlink > 1:
            first = self.seen.setdefault((info.st_dev, info.st_ino), path)
            if first is not path:
                if name.startswith(WHITEOUT_PREFIX):
                    self._marker(prefix, name)
                else:
                    entries.append(FileEntry(path, HARDLINK, 0, shown, info.st_uid, info.st_gid,
                                             first))
                return None
        if name.startswith(WHITEOUT_PREFIX):
            self._marker(prefix, name)
        elif kind == stat.S_IFREG:
            self._file(parent, path, name, info, shown)
        elif kind == stat.S_IFLNK:
            target = os.readlink(name, dir_fd=parent)
            size = len(target.encode("utf-8", "surrogateescape"))
            entries.append(FileEntry(path, SYMLINK, size, shown, info.st_uid, info.st_gid, target))
            self.total += size
        elif kind != stat.S_IFSOCK:  # Docker's writer skips sockets
            entries.append(FileEntry(path, OTHER, 0, shown, info.st_uid, info.st_gid))
        return None

    def _directory(self, parent: int, prefix: str, name: str, info, shown: int) -> int:
        path = f"{prefix}/{name}"
        if name.startswith(WHITEOUT_PREFIX):
            self._marker(prefix, name)
        else:
            self.entries.append(FileEntry(path, DIRECTORY, 0, shown, info.st_uid, info.st_gid))
        child = os.open(name, _DIRECTORY_FLAGS, dir_fd=parent)
        if self._opaque(child):  # the writer puts the marker right after the directory
            self._marker(path, OPAQUE_MARKER)
        return child

    def _file(self, parent: int, path: str, name: str, info, shown: int) -> None:
        size = info.st_size
        capture = self.capture
        keep = (capture is not None and size <= CAPTURE_LIMIT
                and (path.startswith(capture.prefixes) or path.endswith(capture.suffixes))
                and capture.wants(path))
        if keep or (size and self.hash_all):
            content_hash, content = _read(parent, name, size, keep)
            if keep:
                self.captured[path] = content
        elif not size:
            content_hash = _EMPTY_HASH
        else:
            content_hash = None
            self.deferred.append((len(self.entries), -1, size))
        self.entries.append(_new_entry(FileEntry, (path, FILE, size, shown, info.st_uid,
                                                   info.st_gid, None, content_hash)))
        self.total += size
