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

The walk is most of an engine-store read's time (393k entries of the 300k-file bench image), and
70% of a bare walk is the kernel's lstat, so the Python around it is kept to one lstat, one
f-string and one plain tuple for the common member, a regular file with one link: the rest
(directories, links, markers, devices) leaves the loop. Rows are plain tuples, which a worker
process pickles cheaply (layers.directory_walks), made FileEntry in one C-level map at the end.
Directories are listed by name (os.listdir), not as DirEntry objects, and asked for an opaque
mark with one listxattr, not a getxattr that fails twice for every unmarked directory.

Nothing is written and no symlink is followed: every directory and file is opened relative to
its parent directory's descriptor with O_NOFOLLOW, read-only, without touching access times
where the process may ask that.
"""

from __future__ import annotations

import os
import stat
from functools import partial

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
_FORMAT, _REGULAR, _FOLDER = 0o170000, stat.S_IFREG, stat.S_IFDIR
_as_entry = partial(tuple.__new__, FileEntry)

Walked = tuple[list[tuple], int, dict[str, bytes], tuple[tuple[int, int, int], ...]]
"""A walked layer as plain data: (rows, each a FileEntry's fields as a plain tuple; the sum of
their sizes; captured contents by path; deferred reads as IndexedBlob.deferred)."""


def index_directory(root: str, *, capture: CapturePolicy | None = None, hash_all: bool = False,
                    type_bits: bool = True,
                    opaque_xattrs: tuple[str, ...] = OPAQUE_XATTRS) -> IndexedBlob:
    """The layer index of the directory `root` (see the module's docstring); an unreadable or
    vanishing directory is a LayerReadError."""
    return blob_of(walk_directory(root, capture=capture, hash_all=hash_all, type_bits=type_bits,
                                  opaque_xattrs=opaque_xattrs))


def walk_directory(root: str, *, capture: CapturePolicy | None = None, hash_all: bool = False,
                   type_bits: bool = True,
                   opaque_xattrs: tuple[str, ...] = OPAQUE_XATTRS) -> Walked:
    """index_directory's walk, as plain data (see Walked)."""
    try:
        return _Walk(capture, hash_all, type_bits, opaque_xattrs).run(root)
    except OSError as error:
        raise LayerReadError(f"cannot read the layer directory {root}: "
                             f"{error.strerror or error}") from error


def blob_of(walked: Walked) -> IndexedBlob:
    """The IndexedBlob of a walked layer: its rows made FileEntry named tuples."""
    rows, size, captured, deferred = walked
    return IndexedBlob(tuple(map(_as_entry, rows)), size, None, "tar", captured,
                       deferred=deferred)


def hash_files(root: str, paths: list[str], sizes: list[int] | None = None) -> list[int]:
    """xxh3-64 of the regular file at each layer path ("/usr/bin/x") of the directory `root`,
    every component opened without following a symlink; with `sizes` (what the walk found), a
    file of another size now is a LayerReadError, and no lstat is made. Paths are visited in
    sorted order, keeping the descriptors of the directories they share open."""
    hashes = [0] * len(paths)
    opened: list[int] = []  # the root's descriptor, then one per component of `below`
    below: list[str] = []
    try:
        opened.append(os.open(root, _DIRECTORY_FLAGS))
        for position in sorted(range(len(paths)), key=paths.__getitem__):
            *directory, name = paths[position].split("/")[1:]
            shared = 0
            for have, want in zip(below, directory):
                if have != want:
                    break
                shared += 1
            while len(below) > shared:
                below.pop()
                os.close(opened.pop())
            for part in directory[shared:]:
                opened.append(os.open(part, _DIRECTORY_FLAGS, dir_fd=opened[-1]))
                below.append(part)
            size = (os.lstat(name, dir_fd=opened[-1]).st_size if sizes is None
                    else sizes[position])
            hashes[position] = _read(opened[-1], name, size, False)[0]
    except OSError as error:
        raise LayerReadError(f"cannot read the layer directory {root}: "
                             f"{error.strerror or error}") from error
    finally:
        for descriptor in opened:
            os.close(descriptor)
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


def _names(descriptor: int) -> list[str]:
    """The directory's member names in the order Go's filepath.Walk visits them: bytewise."""
    names = os.listdir(descriptor)
    names.sort()
    # str order is UTF-8 byte order but for the surrogates that stand for undecodable bytes
    if not "".join(names).isascii():
        names.sort(key=lambda name: name.encode("utf-8", "surrogateescape"))
    return names


class _Walk:
    """One walk of one layer directory."""

    def __init__(self, capture: CapturePolicy | None, hash_all: bool, type_bits: bool,
                 opaque_xattrs: tuple[str, ...]) -> None:
        self.capture = capture
        self.hash_all = hash_all
        self.mode_mask = 0o177777 if type_bits else 0o7777
        self.opaque_xattrs = opaque_xattrs
        self.rows: list[tuple] = []
        self.captured: dict[str, bytes] = {}
        self.deferred: list[tuple[int, int, int]] = []
        self.seen: dict[tuple[int, int], str] = {}
        """(device, inode) -> the first path of each multiply-linked non-directory."""

    def run(self, root: str) -> Walked:
        rows, deferred, mask, lstat = self.rows, self.deferred, self.mode_mask, os.lstat
        append = rows.append
        capture, hash_all = self.capture, self.hash_all
        prefixes, suffixes = (capture.prefixes, capture.suffixes) if capture else ((), ())
        total = 0
        top = os.open(root, _DIRECTORY_FLAGS)
        stack = [(top, "", iter(_names(top)))]
        try:
            while stack:
                descriptor, prefix, names = stack[-1]
                for name in names:
                    info = lstat(name, dir_fd=descriptor)
                    mode = info.st_mode
                    kind = mode & _FORMAT
                    if kind == _REGULAR and not name.startswith(WHITEOUT_PREFIX):
                        path = f"{prefix}/{name}"
                        if info.st_nlink > 1 and not self._first_path(path, info):
                            continue  # a hard link, listed by _first_path
                        size = info.st_size
                        if (hash_all and size) or (
                                (path.startswith(prefixes) or path.endswith(suffixes))
                                and size <= CAPTURE_LIMIT and capture.wants(path)):
                            content_hash = self._content(descriptor, path, name, size)
                        elif size:
                            content_hash = None
                            deferred.append((len(rows), -1, size))
                        else:
                            content_hash = _EMPTY_HASH
                        append((path, FILE, size, mode & mask, info.st_uid, info.st_gid, None,
                                content_hash))
                        total += size
                    elif kind == _FOLDER:
                        child, path = self._directory(descriptor, prefix, name, info, len(stack))
                        stack.append((child, path, iter(_names(child))))
                        break
                    else:
                        total += self._other(descriptor, prefix, name, info)
                else:
                    stack.pop()
                    os.close(descriptor)
        finally:
            for descriptor, _, _ in stack:
                os.close(descriptor)
        return rows, total, self.captured, tuple(deferred)

    def _content(self, parent: int, path: str, name: str, size: int) -> int:
        """The file's hash, its bytes kept when the capture policy wants them."""
        capture = self.capture
        keep = (capture is not None and size <= CAPTURE_LIMIT
                and (path.startswith(capture.prefixes) or path.endswith(capture.suffixes))
                and capture.wants(path))
        content_hash, content = _read(parent, name, size, keep)
        if keep:
            self.captured[path] = content
        return content_hash

    def _first_path(self, path: str, info) -> bool:
        """Whether `path` is the first met of its inode; if not, its hard-link row is added."""
        first = self.seen.setdefault((info.st_dev, info.st_ino), path)
        if first is path:
            return True
        self.rows.append((path, HARDLINK, 0, info.st_mode & self.mode_mask, info.st_uid,
                          info.st_gid, first, None))
        return False

    def _marker(self, directory: str, base: str) -> None:
        """What tarindex makes of a member named `.wh.*` in `directory`."""
        if base == OPAQUE_MARKER:
            self.rows.append((directory or "/", OPAQUE, 0, 0, 0, 0, None, None))
        elif not base.startswith(".wh..wh."):  # .wh..wh.plnk and such: aufs bookkeeping
            self.rows.append((f"{directory}/{base[4:]}", WHITEOUT, 0, 0, 0, 0, None, None))

    def _opaque(self, descriptor: int) -> bool:
        try:
            present = os.listxattr(descriptor)
        except OSError:  # no xattrs on this filesystem
            return False
        for name in self.opaque_xattrs:
            if name in present:
                try:
                    if os.getxattr(descriptor, name) == b"y":
                        return True
                except OSError:  # removed since it was listed
                    continue
        return False

    def _directory(self, parent: int, prefix: str, name: str, info,
                   depth: int) -> tuple[int, str]:
        """List a directory member `depth` directories below the root; (its open descriptor,
        its path) to walk next."""
        path = f"{prefix}/{name}"
        if depth >= MAX_DEPTH:
            raise LayerReadError(f"directories nested deeper than {MAX_DEPTH} levels at {path}")
        if name.startswith(WHITEOUT_PREFIX):
            self._marker(prefix, name)
        else:
            self.rows.append((path, DIRECTORY, 0, info.st_mode & self.mode_mask, info.st_uid,
                              info.st_gid, None, None))
        child = os.open(name, _DIRECTORY_FLAGS, dir_fd=parent)
        if self._opaque(child):  # the writer puts the marker right after the directory
            self._marker(path, OPAQUE_MARKER)
        return child, path

    def _other(self, parent: int, prefix: str, name: str, info) -> int:
        """List a member that is neither a directory nor a plainly named regular file (whose
        first path of a multiply-linked inode comes back here only for a `.wh.` name); the
        bytes it counts."""
        mode = info.st_mode
        kind = stat.S_IFMT(mode)
        if kind == stat.S_IFCHR and info.st_rdev == 0:  # overlay's whiteout: `.wh.NAME` in tar
            self._marker(prefix, WHITEOUT_PREFIX + name)
            return 0
        path = f"{prefix}/{name}"
        if info.st_nlink > 1 and not name.startswith(WHITEOUT_PREFIX):
            if not self._first_path(path, info):
                return 0
        elif info.st_nlink > 1:
            self.seen.setdefault((info.st_dev, info.st_ino), path)
        if name.startswith(WHITEOUT_PREFIX):
            self._marker(prefix, name)
            return 0
        shown = mode & self.mode_mask
        if kind == stat.S_IFLNK:
            target = os.readlink(name, dir_fd=parent)
            size = len(target) if target.isascii() else len(
                target.encode("utf-8", "surrogateescape"))
            self.rows.append((path, SYMLINK, size, shown, info.st_uid, info.st_gid, target, None))
            return size
        if kind != stat.S_IFSOCK:  # Docker's writer skips sockets
            self.rows.append((path, OTHER, 0, shown, info.st_uid, info.st_gid, None, None))
        return 0
