"""The documents of an image in a registry: its manifest, found by tag or digest through any
index (for the platform asked for), and its config, each bounded in size and checked against
its digest; the layer descriptors the manifest gives."""

from __future__ import annotations

import json
from collections.abc import Callable

from urllib3.exceptions import HTTPError

from ..errors import SourceError
from . import platforms
from .base import LayerDescriptor
from .documents import HASHES, MetadataTooLarge, check_metadata_size, expect, parse_json
from .manifests import INDEX_TYPES, LAYER_TYPES, MANIFEST_TYPES
from .registry_http import Response

SCHEMA1_TYPES = {"application/vnd.docker.distribution.manifest.v1+json",
                 "application/vnd.docker.distribution.manifest.v1+prettyjws"}
ACCEPT = ", ".join(sorted(INDEX_TYPES | MANIFEST_TYPES))
"""What a manifest request accepts: OCI index and manifest, Docker schema 2 list and manifest."""

Fetch = Callable[[str, dict], Response]
"""GET a registry path with extra headers: the response after authentication and retries."""
Count = Callable[[int], None]
"""Told the bytes of each document fetched."""


def read_limited(response: Response, what: str, count: Count) -> bytes:
    """A metadata document's body, refused before it is read when its length says it is too
    large, and as soon as it passes the bound when it does not say."""
    try:
        declared = int(response.headers.get("Content-Length", "0"))
        check_metadata_size(what, declared)
        data = bytearray()
        for piece in response.iter_content(1 << 16):
            data += piece
            count(len(piece))
            check_metadata_size(what, len(data))
        return bytes(data)
    except MetadataTooLarge as error:
        raise SourceError(error.message, hint="no real image has metadata this large") from error
    except HTTPError as error:
        raise SourceError(f"{what} could not be read: {type(error).__name__}") from error
    finally:
        response.close()


def check_digest(data: bytes, digest: str, what: str) -> None:
    """A SourceError when `data` is not what `digest` names."""
    algorithm, _, expected = digest.partition(":")
    if algorithm not in HASHES:
        raise SourceError(f"{what} has a digest of an unsupported algorithm ({algorithm[:20]!r})")
    actual = HASHES[algorithm](data).hexdigest()
    if actual != expected:
        raise SourceError(f"{what} does not match its digest {digest}: its bytes are "
                          f"{algorithm}:{actual}",
                          hint="the registry or something between it and you altered it")


def fetch_manifest(fetch: Fetch, count: Count, repository: str, reference: str,
                   where: str) -> tuple[dict, str]:
    """(the manifest or index, its media type) for a tag or digest."""
    path = f"/v2/{repository}/manifests/{reference}"
    response = fetch(path, {"Accept": ACCEPT})
    what = f"the manifest {where}"
    data = read_limited(response, what, count)
    if reference.startswith("sha"):
        check_digest(data, reference, what)
    document = expect(parse_json(data, what), dict, what, "the document")
    media_type = document.get("mediaType") or response.headers.get("Content-Type", "")
    media_type = media_type.split(";", 1)[0].strip()
    if media_type in SCHEMA1_TYPES or document.get("schemaVersion") == 1:
        raise SourceError(f"{where} has a Docker schema 1 manifest, which layerscope does not read",
                          hint="re-push it with a current client (skopeo copy, docker push) to "
                               "get a schema 2 or OCI manifest")
    if media_type not in INDEX_TYPES | MANIFEST_TYPES:
        if "manifests" in document:
            media_type = "application/vnd.oci.image.index.v1+json"
        elif "layers" in document and "config" in document:
            media_type = "application/vnd.oci.image.manifest.v1+json"
        else:
            raise SourceError(f"{where}: unsupported manifest media type {media_type[:100]!r}")
    return document, media_type


def find_image_manifest(fetch: Fetch, count: Count, repository: str, reference: str,
                        platform: str | None, where: str) -> dict:
    """The image manifest the reference names, through nested indexes, for `platform`."""
    document, media_type = fetch_manifest(fetch, count, repository, reference, where)
    for _ in range(8):  # nested indexes are legal; a cycle or absurd depth is not
        if media_type in MANIFEST_TYPES:
            return document
        manifests = expect(document.get("manifests") or [], list, where, "manifests")
        for item in manifests:
            expect(item, dict, where, "a manifests item")
            expect(item.get("digest"), str, where, "the digest of a manifests item")
        if not manifests:
            raise SourceError(f"{where}: the index lists no manifests")
        chosen = platforms.choose(manifests, platform, where)
        document, media_type = fetch_manifest(fetch, count, repository, chosen["digest"], where)
    raise SourceError(f"{where}: index nesting is deeper than 8 levels")


def descriptor(item: object, where: str, what: str) -> LayerDescriptor:
    """A checked descriptor (media type, size, digest, annotations)."""
    expect(item, dict, where, what)
    digest = expect(item.get("digest"), str, where, f"the digest of {what}")
    size = expect(item.get("size"), int, where, f"the size of {what}")
    if size < 0:
        raise SourceError(f"{where}: {what} has a negative size")
    annotations = item.get("annotations") or {}
    expect(annotations, dict, where, f"the annotations of {what}")
    media_type = expect(item.get("mediaType") or "", str, where, f"the mediaType of {what}")
    return LayerDescriptor(media_type, size, digest,
                           {str(k): str(v) for k, v in annotations.items()})


def layer_descriptors(manifest: dict, where: str) -> tuple[LayerDescriptor, list[LayerDescriptor]]:
    """(the config's descriptor, each layer's) from an image manifest; an unknown layer media
    type is refused before anything is fetched."""
    config = descriptor(manifest.get("config"), where, "the config")
    layers = []
    for item in expect(manifest.get("layers") or [], list, where, "layers"):
        layer = descriptor(item, where, "a layer")
        if layer.media_type not in LAYER_TYPES:
            raise SourceError(f"{where}: unsupported layer media type {layer.media_type[:100]!r}",
                              hint="layerscope reads tar layers, uncompressed, gzip or zstd")
        layers.append(layer)
    return config, layers


def fetch_config(fetch: Fetch, count: Count, repository: str, config: LayerDescriptor,
                 where: str) -> bytes:
    """The image config's bytes, bounded and checked against the manifest's digest."""
    what = f"the image config of {where}"
    try:
        check_metadata_size(what, config.size)
    except MetadataTooLarge as error:
        raise SourceError(error.message, hint="no real image has metadata this large") from error
    data = read_limited(fetch(f"/v2/{repository}/blobs/{config.digest}", {}), what, count)
    check_digest(data, config.digest, what)
    return data


def diff_ids(config: bytes) -> list[str] | None:
    """The config's diff IDs, or None when it has none in the expected shape (the image
    assembly reports that properly)."""
    try:
        found = json.loads(config)["rootfs"]["diff_ids"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return [str(d) for d in found] if isinstance(found, list) else None
