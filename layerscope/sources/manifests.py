"""Finding the selected image in an archive or layout: its config and its layers' names, through
a docker-save manifest.json or an OCI index.json (nested indexes, platforms and tags), reading
no layer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..errors import SourceError
from . import platforms
from .documents import BlobStore, blob_name, expect, malformed, parse_json, read_document, read_json

INDEX_TYPES = {"application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json"}
MANIFEST_TYPES = {"application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json"}
LAYER_TYPES = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar.zstd",
}
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"


@dataclass(frozen=True, slots=True)
class Selection:
    """What the user asked for within an archive: a tag and a platform."""

    ref: str
    """The reference as given, for messages and the report."""
    tag: str | None = None
    """Image name or ref.name to select when the archive holds several."""
    platform: str | None = None
    """os/arch[/variant]; None means the host's platform when there is a choice."""
    oci_index: bool = False
    """Select through index.json even when a docker-save manifest.json is present."""
    image_id: str | None = None
    """Config digest to select in a docker-save archive holding several images."""


@dataclass(frozen=True, slots=True)
class Located:
    """The selected image as its metadata names it, before any layer is read."""

    config: bytes
    """The image config's bytes."""
    layers: list[tuple[str, str | None, int | None]]
    """(name in the store, media type, stored size) of each layer, bottom first."""
    tags: tuple[str, ...]
    """The names the archive gives the image."""

    @property
    def image_id(self) -> str:
        """The image ID: the config's digest."""
        return "sha256:" + hashlib.sha256(self.config).hexdigest()


def locate_config(store: BlobStore, selection: Selection) -> Located:
    """The selected image's config and layer names, reading no layer; with a platform asked
    for, the config must be of that platform (platforms.check_image_platform)."""
    config_digest = None
    if store.has("manifest.json") and not selection.oci_index:
        config_name, layers, tags = _from_docker_manifest(store, selection)
    elif store.has("index.json"):
        config_name, layers, tags, config_digest = _from_oci_index(store, selection)
    else:
        raise SourceError(
            f"{selection.ref} is not an image archive: it has neither manifest.json nor index.json",
            hint="make one with `docker save IMAGE -o FILE.tar`",
        )
    config_bytes = read_document(store, config_name, "image config", config_digest)
    if selection.platform is not None:
        config = parse_json(config_bytes, "image config")
        if isinstance(config, dict):  # anything else is refused where the config is read
            platforms.check_image_platform(selection.platform, config, selection.ref)
    return Located(config_bytes, layers, tags)


def _from_docker_manifest(store: BlobStore, selection: Selection):
    manifest = read_json(store, "manifest.json", "manifest")
    if not isinstance(manifest, list) or not manifest:
        raise SourceError("manifest.json lists no images")
    for entry in manifest:
        expect(entry, dict, "manifest.json", "an entry")
        expect(entry.get("Config"), str, "manifest.json", "Config")
        for name in expect(entry.get("Layers"), list, "manifest.json", "Layers"):
            expect(name, str, "manifest.json", "a Layers item")
        for tag in expect(entry.get("RepoTags") or [], list, "manifest.json", "RepoTags"):
            expect(tag, str, "manifest.json", "a RepoTags item")
    chosen = manifest[0]
    wanted = selection.tag
    if selection.image_id:
        hex_id = selection.image_id.removeprefix("sha256:")
        found = [m for m in manifest if hex_id in m["Config"]]
        if len(found) != 1:
            raise SourceError(f"the archive does not hold image {selection.image_id}")
        chosen = found[0]
    elif len(manifest) > 1 or wanted:
        found = [m for m in manifest if wanted and wanted in (m.get("RepoTags") or [])]
        if len(found) != 1:
            tags = ", ".join(t for m in manifest for t in (m.get("RepoTags") or ["<untagged>"]))
            raise SourceError(f"the archive holds {len(manifest)} image(s) ({tags}); "
                              f"{'none' if not found else 'several'} match {wanted or 'no tag'}",
                              hint="name one: docker-archive:PATH:NAME:TAG")
        chosen = found[0]
    layers = [(name, None, None) for name in chosen["Layers"]]
    return chosen["Config"], layers, tuple(chosen.get("RepoTags") or ())


def _descriptors(value: Any, where: str) -> list[dict]:
    """The `manifests` of an index: a list of descriptors, each with a digest."""
    for descriptor in expect(value, list, where, "manifests"):
        _check_descriptor(descriptor, where, "a manifests item")
    return value


def _check_descriptor(descriptor: Any, where: str, what: str) -> dict:
    expect(descriptor, dict, where, what)
    expect(descriptor.get("digest"), str, where, f"the digest of {what}")
    for key, kind in (("mediaType", str), ("platform", dict), ("annotations", dict),
                      ("size", int)):
        if descriptor.get(key) is not None:
            expect(descriptor[key], kind, where, f"the {key} of {what}")
    if descriptor.get("size") is not None and descriptor["size"] < 0:
        raise malformed(where, f"{what} has a negative size")
    return descriptor


def _from_oci_index(store: BlobStore, selection: Selection):
    index = expect(read_json(store, "index.json", "index"), dict, "index.json", "the document")
    descriptors = _descriptors(index.get("manifests") or [], "index.json")
    if not descriptors:
        raise SourceError("index.json lists no manifests")
    tags: tuple[str, ...] = ()
    if selection.tag is not None:
        named = [d for d in descriptors if selection.tag in _names(d)]
        if not named:
            available = ", ".join(sorted({n for d in descriptors for n in _names(d)})) or "none"
            raise SourceError(f"no image tagged {selection.tag!r} in the layout; tags: {available}")
        descriptors = named
        tags = (selection.tag,)
    elif len(descriptors) > 1 and all(d.get("mediaType") in INDEX_TYPES for d in descriptors):
        names = ", ".join(sorted({n for d in descriptors for n in _names(d)}))
        raise SourceError(f"the layout holds several images ({names})", hint="append :TAG")
    descriptor = platforms.choose(descriptors, selection.platform, selection.ref)
    for _ in range(8):  # nested indexes are legal; a cycle or absurd depth is not
        media_type = descriptor.get("mediaType")
        name = blob_name(descriptor["digest"])
        if media_type in INDEX_TYPES:
            nested = expect(read_json(store, name, "index", descriptor["digest"]), dict, name,
                             "the document")
            descriptor = platforms.choose(_descriptors(nested.get("manifests") or [], name),
                                          selection.platform, selection.ref)
            continue
        if media_type not in MANIFEST_TYPES:
            raise SourceError(f"unsupported manifest media type {media_type!r}")
        manifest = expect(read_json(store, name, "manifest", descriptor["digest"]), dict, name,
                           "the document")
        layers, config = manifest_parts(manifest, name)
        return (blob_name(config["digest"]), layers, tags or tuple(_names(descriptor)),
                config["digest"])
    raise SourceError("index nesting is deeper than 8 levels")


def manifest_parts(manifest: dict, where: str, name_of=blob_name) -> tuple[list, dict]:
    """(the (blob name, media type, size) of each layer an image manifest lists, its config
    descriptor), each descriptor checked; `name_of` names a digest's blob in the store."""
    layers = []
    for layer in expect(manifest.get("layers") or [], list, where, "layers"):
        _check_descriptor(layer, where, "a layer")
        if layer.get("mediaType") not in LAYER_TYPES:
            raise SourceError(f"unsupported layer media type {layer.get('mediaType')!r}")
        layers.append((name_of(layer["digest"]), layer.get("mediaType"), layer.get("size")))
    return layers, _check_descriptor(manifest.get("config"), where, "the config")


def _names(descriptor: dict) -> list[str]:
    annotations = descriptor.get("annotations") or {}
    return [n for n in (annotations.get(REF_NAME), annotations.get(CONTAINERD_NAME))
            if n and isinstance(n, str)]
