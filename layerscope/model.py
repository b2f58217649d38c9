"""Plain, frozen data types shared by sources, layers and analysis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple


class EntryKind(IntEnum):
    """What one tar member of a layer is, after whiteout names are decoded."""

    FILE = 0
    DIRECTORY = 1
    SYMLINK = 2
    HARDLINK = 3
    WHITEOUT = 4
    OPAQUE = 5
    OTHER = 6  # devices and fifos


class FileEntry(NamedTuple):
    """One member of one layer, with the size Docker counts for it.

    A named tuple rather than a dataclass: images hold hundreds of thousands of these, and a
    tuple is both the smallest and the fastest immutable record Python has.
    """

    path: str
    """Absolute, normalised path ("/usr/bin/x"); for a whiteout, the path it deletes."""
    kind: EntryKind
    """The decoded member type, as the plain int value of its EntryKind member (the tar reader
    and the cache store ints, which compare and hash equal to the members)."""
    size: int
    """Bytes counted: file content, symlink target length, 0 for links, dirs and markers."""
    mode: int = 0
    """Permission bits and set-id bits as stored in the tar header."""
    uid: int = 0
    """Owner user ID."""
    gid: int = 0
    """Owner group ID."""
    link_target: str | None = None
    """Symlink target as written, or the absolute path a hard link points to."""
    content_hash: int | None = None
    """xxh3-64 of a regular file's content, to tell metadata-only changes from new content."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One entry of the image config's history, oldest first."""

    created_by: str
    """The raw created_by text the builder recorded."""
    empty_layer: bool
    """True for metadata-only steps (ENV, CMD, ...) that produced no layer."""
    created: str | None = None
    """Creation timestamp as recorded."""
    comment: str = ""
    """Builder comment (buildkit, "Imported from -", ...)."""


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer of an image, with the index of its files."""

    index: int
    """Position in the image's layer stack, 0 = bottom."""
    diff_id: str
    """sha256 digest of the uncompressed layer tar, from the config."""
    files: tuple[FileEntry, ...]
    """The layer's members in tar order."""
    size: int
    """Sum of the entries' sizes; what `docker history` shows for this layer."""
    media_type: str | None = None
    """Media type of the blob, when the manifest records one."""
    compressed_size: int | None = None
    """Size of the compressed blob (what a pull downloads); None for uncompressed blobs."""
    captured: Mapping[str, bytes] = field(default_factory=dict)
    """Contents of this layer's package-database files by path (dpkg status and .list files,
    apt extended_states, *.dist-info/RECORD, apk installed), read while the layer streamed."""


@dataclass(frozen=True, slots=True)
class Image:
    """An image as read from a source: its config metadata and its indexed layers."""

    ref: str
    """The reference the user gave."""
    image_id: str
    """sha256 digest of the image config."""
    repo_tags: tuple[str, ...]
    """Tags the source knows for it."""
    architecture: str
    """Config architecture (amd64, arm64, ...)."""
    os: str
    """Config operating system."""
    history: tuple[HistoryEntry, ...]
    """Config history, oldest first; may be empty."""
    layers: tuple[Layer, ...] = field(default_factory=tuple)
    """Layers, bottom first."""

    @property
    def size(self) -> int:
        """Total of the layer sizes: `docker image inspect`'s .Size."""
        return sum(layer.size for layer in self.layers)


@dataclass(frozen=True, slots=True)
class LayerDigests:
    """What --base needs of a base image: its layer digests and history length, no files."""

    ref: str
    """The base reference as given."""
    diff_ids: tuple[str, ...]
    """Uncompressed layer digests, bottom first."""
    history_length: int
    """Number of history entries."""
