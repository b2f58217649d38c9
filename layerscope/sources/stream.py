"""Read a tar archive of an image in one forward pass: the shared parsing path for streams.

`docker save` output from the engine (and compressed archive files, which cannot be seeked) come
through here. Manifests may come after the layers in the stream (Docker writes them last), so
every member that looks like a layer is indexed as it passes and small documents are kept;
`resolve` then picks the layers the manifest names. Nothing is written to disk.
"""

from __future__ import annotations

import posixpath
import tarfile

from ..errors import LayerReadError, SourceError
from ..layers.blob import IndexedBlob, index_blob
from ..layers.decompress import sniff
from .base import Progress
from .resolve import METADATA_LIMIT, MetadataTooLarge, follow_links, normalize_member_name

__all__ = ["METADATA_LIMIT", "StreamedArchive", "read_archive"]


class StreamedArchive:
    """The members of an archive after one pass: small documents and indexed layers."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        self.layers: dict[str, IndexedBlob] = {}
        self.links: dict[str, str] = {}
        self.skipped: dict[str, int] = {}
        """Members too large for metadata that are not layers either: name -> size."""

    def has(self, name: str) -> bool:
        name = follow_links(self.links, name)
        return name in self.documents or name in self.layers or name in self.skipped

    def raw(self, name: str) -> bytes:
        name = follow_links(self.links, name)
        if name in self.skipped:
            raise MetadataTooLarge(name, self.skipped[name])
        if name not in self.documents:
            raise SourceError(f"archive member {name} is not a metadata document")
        return self.documents[name]

    def layer(self, name: str) -> IndexedBlob:
        name = follow_links(self.links, name)
        if name in self.layers:
            return self.layers[name]
        if name in self.documents or name in self.skipped:
            raise LayerReadError("the blob is not a tar, gzip or zstd stream")
        raise SourceError(f"layer {name} is missing from the archive")


def read_archive(fileobj, what: str, progress: Progress | None = None) -> StreamedArchive:
    """Index every layer-like member of the tar stream `fileobj` in a single forward pass."""
    archive = StreamedArchive()
    try:
        with tarfile.open(fileobj=fileobj, mode="r|") as tar:
            for member in tar:
                _take(tar, member, archive, progress)
    except tarfile.ReadError as error:
        if not archive.documents and not archive.layers:
            raise SourceError(f"{what} is not a tar archive ({error})",
                              hint="give an image archive made by `docker save`") from error
        raise SourceError(f"{what} is damaged after {len(archive.layers)} layers: {error}") from error
    except (EOFError, tarfile.TarError) as error:
        raise SourceError(f"{what} is truncated: {error}") from error
    return archive


def _take(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: StreamedArchive, progress):
    name = normalize_member_name(member.name)
    if member.issym():
        archive.links[name] = normalize_member_name(
            posixpath.join(posixpath.dirname(name), member.linkname))
        return
    if not member.isreg():
        return
    content = tar.extractfile(member)
    head = content.read(512)
    if sniff(head) is None:
        if member.size <= METADATA_LIMIT:
            archive.documents[name] = head + content.read()
        else:
            archive.skipped[name] = member.size
        return
    if progress:
        progress(f"reading layer {len(archive.layers) + 1}: {name}")
    try:
        archive.layers[name] = index_blob(content, member.size, head)
    except LayerReadError as error:
        raise LayerReadError(f"layer {name}: {error.message}", error.hint) from error
