"""The source interface: something that turns a reference into an indexed Image."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ..errors import LayerscopeError, SourceError
from ..model import Image, LayerDigests

TYPE_CHECKING = False  # not typing's: a replayed run imports this module's neighbours
if TYPE_CHECKING:
    from ..layers.cache import CacheStore
    from ..layers.limits import ReadOptions

Progress = Callable[[str], None]
"""Receives short status lines ("layer 3/7"); the CLI decides whether and where to show them."""

__all__ = ["Identifiable", "ImageSource", "LayerDescriptor", "LayerDigestReader", "LocalFiles",
           "MakesComparable", "Progress", "RangeReader", "RangeSource", "ReadsTogether",
           "SourceError", "layer_digests", "read_images"]


class ImageSource(Protocol):
    """Reads one image, with every layer indexed, in a single pass where the transport allows."""

    def describe(self) -> str:
        """A short name for messages: the reference the user gave."""
        ...

    def read(self, progress: Progress | None = None, cache: CacheStore | None = None,
             options: ReadOptions | None = None) -> Image:
        """Read the image's metadata and index its layers as `options` say (defaults: every
        file hashed, the default inflation limit, no digest check); layers whose diff ID is in
        `cache` (shared by one run) are not indexed again."""
        ...


@runtime_checkable
class Identifiable(Protocol):
    """A source that can name its image's ID without reading any layer."""

    def identity(self) -> str | None:
        """The image ID (config digest), or None when finding it would mean reading it all."""
        ...


@runtime_checkable
class LocalFiles(Protocol):
    """A source whose image is made of local files, which it can name (a replayed output is
    keyed on their identities: see layerscope.replay)."""

    def local_files(self) -> tuple[str, ...]:
        """Every file a read of the image depends on, as absolute paths: its documents and each
        layer blob its manifest names, whether a run reads it or finds its index cached. Found
        from the metadata, reading no layer; a SourceError when a named blob is missing."""
        ...


@runtime_checkable
class LayerDigestReader(Protocol):
    """A source that can name an image's layers without reading them (the engine can)."""

    def layer_digests(self) -> LayerDigests:
        """The image's diff IDs and history length, from metadata only."""
        ...


@dataclass(frozen=True, slots=True)
class LayerDescriptor:
    """One layer blob as an image manifest describes it, before any of it is read."""

    media_type: str
    """The blob's media type (OCI or Docker schema 2 layer type)."""
    size: int
    """Bytes of the blob as stored (compressed, for a compressed layer)."""
    digest: str
    """The blob's digest ("sha256:..."), of the stored (compressed) bytes."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """The descriptor's annotations (zstd:chunked and eStargz name their table of contents
    here)."""


class RangeNotSupported(SourceError):
    """A RangeReader's transport cannot serve ranges (a registry that answers a Range request
    with the whole blob): the caller reads the blob whole instead."""


@runtime_checkable
class RangeReader(Protocol):
    """Random access to one stored blob (a registry answers HTTP Range requests)."""

    size: int
    """Bytes of the whole blob."""

    def read_range(self, offset: int, length: int) -> bytes:
        """Exactly `length` bytes from `offset` (offset + length <= size); RangeNotSupported
        when the transport cannot serve ranges, another SourceError when it fails or returns
        fewer. The bytes are not checked against the blob's
        digest (only a whole read can be): a caller checks what its format lets it check."""
        ...


@runtime_checkable
class RangeSource(Protocol):
    """A source that can hand out its image's layer blobs for random access, reading none."""

    def layer_blobs(self) -> list[tuple[LayerDescriptor, RangeReader]]:
        """Each layer's descriptor and a reader of its stored blob, bottom first."""
        ...


@runtime_checkable
class ReadsTogether(Protocol):
    """A source that can read other images of its own transport in the same pass (the engine
    exports several images as one archive, so the layers they share stream once)."""

    def read_together(self, others: list, progress: Progress | None = None,
                      cache: CacheStore | None = None, labels: list[str] | None = None,
                      options: ReadOptions | None = None) -> list[Image] | None:
        """This image and the others, in order; None when the others are not of its kind."""
        ...


@runtime_checkable
class MakesComparable(Protocol):
    """A source whose images may know some files by their TOC digest rather than the tar
    reader's hash (layers.toc), and can fetch what a comparison with other images needs."""

    def comparable_with(self, image: Image, others: list[Image]) -> Image:
        """`image`, read by this source, with the hashes that meet another kind in `others`
        at a path and size made the tar reader's."""
        ...


def read_images(sources: list, progress: Progress | None = None,
                cache: CacheStore | None = None, labels: list[str] | None = None,
                options: ReadOptions | None = None) -> list[Image]:
    """Every source's image, in one pass where the transport allows; an error names the side
    (by its label) that failed."""
    first = sources[0] if sources else None
    if isinstance(first, ReadsTogether):
        images = first.read_together(list(sources[1:]), progress, cache, labels, options)
        if images is not None:
            return images
    images = []
    for position, source in enumerate(sources):
        try:
            images.append(source.read(progress, cache, options))
        except LayerscopeError as error:
            if labels is None:
                raise
            raise error.prefixed(f"{labels[position]} ({source.describe()})") from error
    for position, source in enumerate(sources):
        if isinstance(source, MakesComparable) and len(images) > 1:
            images[position] = source.comparable_with(
                images[position], images[:position] + images[position + 1:])
    return images


def layer_digests(source: ImageSource, progress: Progress | None = None,
                  options: ReadOptions | None = None) -> LayerDigests:
    """Layer digests the cheap way when the source allows, else by reading the image."""
    if isinstance(source, LayerDigestReader):
        return source.layer_digests()
    image = source.read(progress, None, options)
    return LayerDigests(image.ref, tuple(layer.diff_id for layer in image.layers),
                        len(image.history))
