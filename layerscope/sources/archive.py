"""docker-archive: and oci-archive: transports.

An uncompressed archive file is read by offset: headers first, then only the layers the selected
manifest names (a layer shared with an image read earlier in the run is not read again),
straight from the file in large reads on a second thread (layers.readahead). When the index
will not outlive the run (--no-cache, one image), large files are skipped unread and only those
at a path written twice are hashed afterwards. A memory map was no faster (mapping a page costs
what copying it does) and put the whole archive in the resident set. A compressed archive
(`docker save | gzip`) cannot be seeked and goes through the stream reader.
"""

from __future__ import annotations

import os
import posixpath
import tarfile
from dataclasses import dataclass

import xxhash

from ..errors import LayerReadError, SourceError
from ..layers.blob import IndexedBlob, index_blob
from ..layers.cache import CacheStore
from ..layers.decompress import open_uncompressed, sniff
from ..layers.limits import InflateGuard, ReadOptions
from ..layers.readahead import BlockPool
from ..model import Image
from .base import Progress
from .documents import check_metadata_size, follow_links, normalize_member_name
from .manifests import Located, Selection, locate_config
from .outer_tar import read_archive
from .resolve import resolve

HASH_READ = 8 << 20
"""Bytes read at a time when hashing a skipped file afterwards."""


class FileSlice:
    """read()/readinto() over one member of the archive file, through the handle already open."""

    def __init__(self, handle, offset: int, size: int) -> None:
        self._handle = handle
        self._position = offset
        self._end = offset + size

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > self._end - self._position:
            size = self._end - self._position
        self._handle.seek(self._position)
        data = self._handle.read(size)
        self._position += len(data)
        return data

    def skip(self, size: int) -> int:
        """Move on `size` bytes without reading them; how many there were to skip."""
        skipped = max(0, min(size, self._end - self._position))
        self._position += skipped
        return skipped

    def readinto(self, view) -> int:
        size = min(len(view), self._end - self._position)
        if size <= 0:
            return 0
        self._handle.seek(self._position)
        count = self._handle.readinto(view[:size]) or 0
        self._position += count
        return count


@dataclass(frozen=True, slots=True)
class MemberTable:
    """Where an uncompressed archive file keeps its members: read once from its headers."""

    members: dict[str, tarfile.TarInfo]
    """Regular members by normalized name."""
    links: dict[str, str]
    """Symlink members: name -> the name it points to."""

    @classmethod
    def read(cls, path: str, tar: tarfile.TarFile) -> MemberTable:
        """Every header of the archive (an archive cut or damaged after its last good header
        is a SourceError)."""
        try:
            found = tar.getmembers()
        except (EOFError, tarfile.TarError) as error:
            raise SourceError(f"{path} is truncated or damaged: {error}") from error
        _check_end(path, tar)
        members: dict[str, tarfile.TarInfo] = {}
        links: dict[str, str] = {}
        for member in found:
            name = normalize_member_name(member.name)
            if member.issym():
                links[name] = normalize_member_name(
                    posixpath.join(posixpath.dirname(name), member.linkname))
            elif member.isreg():
                members[name] = member
        return cls(members, links)


_BLOCKS = BlockPool()
"""The read-ahead blocks of the process, shared by its archives: a fleet scan reads hundreds of
small archives one after another, and 36 MB allocated and zeroed per archive was half its time."""


class SeekableArchive:
    """The members of an uncompressed archive file, read on demand."""

    def __init__(self, path: str, tar: tarfile.TarFile, table: MemberTable,
                 progress: Progress | None, options: ReadOptions | None = None) -> None:
        self._path = path
        self._tar = tar
        self._progress = progress
        self._options = options
        self._members = table.members
        self._links = table.links
        self._read = 0
        self._blocks = _BLOCKS

    def _member(self, name: str) -> tarfile.TarInfo | None:
        return self._members.get(follow_links(self._links, name))

    def has(self, name: str) -> bool:
        return self._member(name) is not None

    def raw(self, name: str) -> bytes:
        member = self._member(name)
        if member is None:
            raise SourceError(f"archive member {name} is missing")
        check_metadata_size(name, member.size)
        try:
            return self._tar.extractfile(member).read()
        except (EOFError, tarfile.TarError) as error:
            raise SourceError(f"{self._path} is truncated in member {name}: {error}") from error

    def _layer_member(self, name: str) -> tarfile.TarInfo:
        member = self._member(name)
        if member is None:
            raise SourceError(f"layer {name} is missing from the archive")
        self._read += 1
        if self._progress:
            self._progress(f"reading layer {self._read}: {name}")
        return member

    def layer(self, name: str) -> IndexedBlob:
        member = self._layer_member(name)
        return index_blob(FileSlice(self._tar.fileobj, member.offset_data, member.size),
                          member.size, options=self._options, read_ahead=self._blocks)

    def layer_skipping(self, name: str) -> IndexedBlob:
        """The layer indexed with its large files skipped unread (see IndexedBlob.deferred)."""
        member = self._layer_member(name)
        return index_blob(FileSlice(self._tar.fileobj, member.offset_data, member.size),
                          member.size, options=self._options, defer=True)

    def content_hashes(self, name: str, regions: list[tuple[int, int]]) -> list[int]:
        """xxh3-64 of each (offset, size) of the layer's bytes, read straight from the file."""
        member = self._member(name)
        if member is None:
            raise SourceError(f"layer {name} is missing from the archive")
        descriptor = self._tar.fileobj.fileno()
        hashes = []
        for offset, size in regions:
            digest = xxhash.xxh3_64()
            position, end = member.offset_data + offset, member.offset_data + offset + size
            if end > member.offset_data + member.size:
                raise LayerReadError(f"layer tar is truncated in a member's content at byte {offset}")
            while position < end:
                piece = os.pread(descriptor, min(HASH_READ, end - position), position)
                if not piece:
                    raise LayerReadError(f"{self._path} ends inside layer {name}")
                digest.update(piece)
                position += len(piece)
            hashes.append(digest.intdigest())
        return hashes


def _check_end(path: str, tar: tarfile.TarFile) -> None:
    """tarfile stops quietly at a damaged or cut header; only zero blocks may follow the last
    member of an intact archive."""
    handle = tar.fileobj
    handle.seek(tar.offset)
    rest = handle.read(1024)
    if any(rest):
        raise SourceError(f"{path} is truncated or damaged at byte {tar.offset}: "
                          "no valid tar header there")


class _OuterStream:
    """The decompressed bytes of a compressed archive: its failures are the archive's, not a
    layer's, so they become SourceErrors naming the file."""

    def __init__(self, source, path: str) -> None:
        self._read = source.read
        self._path = path

    def read(self, size: int = -1) -> bytes:
        try:
            return self._read(size)
        except LayerReadError as error:
            message = error.message.replace(" layer ", " ")
            raise SourceError(f"{self._path}: {message}", error.hint) from error


class ArchiveFileSource:
    """A `docker save` archive (either layout) or an OCI archive, read from a file.

    One object serves one run: what identity() learns from the file's headers and manifest is
    kept for read(), which does not look for it again."""

    def __init__(self, path: str, selection: Selection) -> None:
        self.path = path
        """The archive file."""
        self.selection = selection
        """The tag and platform to select inside it."""
        self._table: MemberTable | None = None
        self._located: Located | None = None

    def describe(self) -> str:
        return self.selection.ref

    def _open(self):
        try:
            return open(self.path, "rb")
        except FileNotFoundError as error:
            raise SourceError(f"no such archive: {self.path}") from error
        except IsADirectoryError as error:
            raise SourceError(f"{self.path} is a directory, not an archive",
                              hint="for an OCI layout directory use oci:DIR") from error
        except OSError as error:
            raise SourceError(f"cannot open {self.path}: {error.strerror}") from error

    def _tar(self, handle) -> tarfile.TarFile:
        try:
            return tarfile.open(fileobj=handle, mode="r:")
        except tarfile.ReadError as error:
            raise SourceError(f"{self.path} is not a tar archive ({error})",
                              hint="give an image archive made by `docker save`") from error
        except (EOFError, tarfile.TarError) as error:
            raise SourceError(f"{self.path} is truncated: {error}") from error

    def _seekable(self, tar: tarfile.TarFile, progress: Progress | None,
                  options: ReadOptions | None = None) -> SeekableArchive:
        if self._table is None:
            self._table = MemberTable.read(self.path, tar)
        return SeekableArchive(self.path, tar, self._table, progress, options)

    def _locate(self, store) -> Located:
        """The selected image's metadata, found once a run, with every layer it names present:
        a layer whose index is cached is still part of the image, and an archive without it
        fails from the cache as a first read does."""
        if self._located is None:
            if self.selection.tag is None and (self.selection.oci_index
                                               or not store.has("manifest.json")):
                from .oci_layout import refuse_unnamed_choice  # an oci-archive only

                refuse_unnamed_choice(store, self.path, "oci-archive")
            located = locate_config(store, self.selection)
            for name, _, _ in located.layers:
                if not store.has(name):
                    raise SourceError(f"layer {name} is missing from the archive")
            self._located = located
        return self._located

    def identity(self) -> str | None:
        """The image ID from the config alone; None for a compressed archive, which has to be
        read through to find its config."""
        with self._open() as handle:
            if sniff(handle.read(512)) in ("gzip", "zstd"):
                return None
            handle.seek(0)
            with self._tar(handle) as tar:
                return self._locate(self._seekable(tar, None)).image_id

    def local_files(self) -> tuple[str, ...]:
        """The archive file: everything is in it."""
        return (os.path.abspath(self.path),)

    def read(self, progress: Progress | None = None, cache: CacheStore | None = None,
             options: ReadOptions | None = None) -> Image:
        options = ReadOptions() if options is None else options
        with self._open() as handle:
            head = handle.read(512)
            handle.seek(0)
            if sniff(head) in ("gzip", "zstd"):
                try:
                    stream = open_uncompressed(handle)
                except LayerReadError as error:
                    raise SourceError(f"{self.path}: {error.message}") from error
                size = os.fstat(handle.fileno()).st_size
                stream = _OuterStream(InflateGuard(stream, options, size), self.path)
                streamed = read_archive(stream, self.path, progress, options)
                return resolve(streamed, self.selection, cache, options, self._locate(streamed))
            with self._tar(handle) as tar:
                seekable = self._seekable(tar, progress, options)
                return resolve(seekable, self.selection, cache, options, self._locate(seekable))
