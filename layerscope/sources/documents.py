"""The small metadata documents of an archive or layout: bounded in size, checked against their
digest, parsed as JSON of the expected shape; and the names blobs and members go by."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from typing import Any, Protocol

from ..errors import SourceError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..layers.blob import IndexedBlob

METADATA_LIMIT = 16 << 20
"""Largest manifest, index or config accepted: real ones are a few KiB."""
DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}


class BlobStore(Protocol):
    """Named files of an archive or layout: small JSON documents and layer blobs."""

    def has(self, name: str) -> bool:
        """True when the store holds a file of that name."""
        ...

    def raw(self, name: str) -> bytes:
        """The bytes of a small metadata file (MetadataTooLarge past METADATA_LIMIT)."""
        ...

    def layer(self, name: str) -> IndexedBlob:
        """The indexed layer blob of that name."""
        ...


class MetadataTooLarge(SourceError):
    """A store's metadata document is larger than METADATA_LIMIT."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(f"{name} is {size} bytes, more than the {METADATA_LIMIT >> 20} MiB "
                         "allowed for metadata")
        self.name = name
        self.size = size


def check_metadata_size(name: str, size: int) -> None:
    """The one bound on a metadata document: MetadataTooLarge when `size` is over it. Stores
    call it with the size they know before reading; read_document with what it got."""
    if size > METADATA_LIMIT:
        raise MetadataTooLarge(name, size)


def malformed(where: str, problem: str) -> SourceError:
    """The error for a document of the wrong shape."""
    return SourceError(f"{where} is malformed: {problem}",
                       hint="the archive was not written by docker, podman, skopeo or buildah, "
                            "or it was damaged")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def expect(value: Any, kind: type, where: str, what: str) -> Any:
    """`value` when it has the JSON type `kind`; a malformed-document error otherwise."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        article = {dict: "an object", list: "a list", str: "a string", int: "a number"}[kind]
        raise malformed(where, f"{what} is {_kind(value)}, not {article}")
    return value


def parse_json(data: bytes, what: str) -> Any:
    """A JSON document (UTF-8, bounded nesting) or a SourceError saying what was wrong."""
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise SourceError(f"{what} is nested too deeply to be real metadata") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise SourceError(f"{what} is not valid JSON: {error}") from error


def read_document(store: BlobStore, name: str, what: str, digest: str | None = None) -> bytes:
    """A metadata document's bytes: present, not too large, and matching `digest` if given."""
    if not store.has(name):
        raise SourceError(f"{what} {name} is missing from the archive")
    try:
        data = store.raw(name)
        check_metadata_size(name, len(data))
    except MetadataTooLarge as error:
        raise SourceError(f"{what} {error.message}",
                          hint="no real image has metadata this large") from error
    if digest is not None:
        algorithm, _, expected = digest.partition(":")
        actual = HASHES[algorithm](data).hexdigest()
        if actual != expected:
            raise SourceError(f"{what} {name} does not match its digest: its content is "
                              f"{algorithm}:{actual}, the descriptor says {digest}",
                              hint="the layout was damaged or tampered with")
    return data


def read_json(store: BlobStore, name: str, what: str, digest: str | None = None) -> Any:
    """A metadata document parsed (see read_document and parse_json)."""
    return parse_json(read_document(store, name, what, digest), f"{what} {name}")


def blob_name(digest: Any) -> str:
    """Where an OCI layout keeps the blob of a digest (a well-formed one of a known algorithm)."""
    if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
        raise SourceError(f"malformed digest {str(digest)[:100]!r}")
    algorithm, _, encoded = digest.partition(":")
    if algorithm not in HASHES:
        raise SourceError(f"unsupported digest algorithm {algorithm!r} in {digest[:100]!r}")
    return f"blobs/{algorithm}/{encoded}"


def normalize_member_name(name: str) -> str:
    """Archive member names as manifests refer to them ("./a/b" and "a/b" are one file)."""
    return posixpath.normpath(name.lstrip("/")).removeprefix("./")


def follow_links(links: dict[str, str], name: str) -> str:
    """Resolve symlink members (docker save links a repeated layer.tar to its first copy)."""
    name = normalize_member_name(name)
    for _ in range(16):
        if name not in links:
            return name
        name = links[name]
    raise SourceError(f"archive member {name} is part of a symlink loop")
