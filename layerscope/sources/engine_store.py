"""An engine image read from the engine's own overlay2 layer store instead of its export.

`docker save` makes the engine rebuild every layer's tar from its files and send it over the
socket; on the engine's own host, as root, the same files can be indexed where they lie
(layers.directory_index), at the speed of the disk. Layer order and diff IDs still come from
the engine's API (RootFS.Layers of the inspect); the store's layerdb maps each layer's chain ID
to its overlay2 directory, and every name is checked against the content-addressed IDs
(the config's sha256 is the image ID, each layerdb entry names its diff ID), so a path that
exists but belongs to another store is never taken for this one.

Whatever stops it (another storage driver or the containerd image store, a remote engine, a
store that is not root's, as rootless and userns-remap engines keep, not running as root,
--verify, which needs the tars' digests) is a StoreUnreadable naming the reason; the engine
source then reads the export.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import dataclass, replace

from ..errors import SourceError
from ..layers.cache import CacheStore
from ..layers.limits import ReadOptions
from ..model import Image
from .manifests import Located, Selection
from .overlay_layers import IndexedLayers, index_layers, writes_type_bits
from .resolve import resolve

LAYERDB = ("image", "overlay2", "layerdb", "sha256")
IMAGEDB = ("image", "overlay2", "imagedb", "content", "sha256")


class StoreUnreadable(SourceError):
    """The engine's layer store cannot serve this image; the message says why."""


@dataclass(frozen=True, slots=True)
class StoreImage:
    """An engine image found in its overlay2 store, before any layer is read."""

    config: bytes
    """The image config as the store holds it (its sha256 is the image ID)."""
    directories: tuple[str, ...]
    """Each layer's diff directory, bottom first."""
    type_bits: tuple[bool, ...]
    """Per layer, whether its tar's modes carry the file-type bits (Docker's own writer adds
    them; GNU tar, BuildKit and others write only the permission bits)."""


def chain_ids(diff_ids: list[str]) -> list[str]:
    """The OCI chain ID of each layer: the first is its diff ID, each next one the sha256 of
    "<chain ID below> <diff ID>"."""
    chains: list[str] = []
    for diff_id in diff_ids:
        chains.append(diff_id if not chains else "sha256:" + hashlib.sha256(
            f"{chains[-1]} {diff_id}".encode()).hexdigest())
    return chains


def locate(record: dict, options: ReadOptions) -> StoreImage:
    """The image's config and layer directories in the store its inspect record names."""
    if options.verify:
        raise StoreUnreadable("--verify checks each layer tar's sha256, which only the export has")
    host = os.environ.get("DOCKER_HOST") or ""
    if host and not host.startswith("unix://"):
        raise StoreUnreadable(f"DOCKER_HOST is {host}: the engine's store is on another machine")
    driver = record.get("GraphDriver") or {}
    upper = (driver.get("Data") or {}).get("UpperDir") or ""
    if driver.get("Name") != "overlay2" or not upper:
        raise StoreUnreadable(f"the engine stores images with {driver.get('Name') or 'no'} "
                              "graph driver, not overlay2 (another driver, or the containerd "
                              "image store)")
    overlay = os.path.dirname(os.path.dirname(upper))
    root = os.path.dirname(overlay)
    try:
        owner = os.stat(root).st_uid
        config = _read(os.path.join(root, *IMAGEDB, record["Id"].removeprefix("sha256:")))
    except OSError as error:
        raise StoreUnreadable(f"the engine's store at {root} cannot be read from here "
                              f"({error.strerror}): not this machine's, or not root") from error
    if owner != 0:
        raise StoreUnreadable(f"the engine's store at {root} is not root's (a rootless or "
                              "userns-remap engine, whose files are stored under other IDs)")
    if "sha256:" + hashlib.sha256(config).hexdigest() != record["Id"]:
        raise StoreUnreadable(f"the store at {root} holds another config for {record['Id']}")
    diff_ids = list((record.get("RootFS") or {}).get("Layers") or ())
    directories, type_bits = [], []
    for diff_id, chain in zip(diff_ids, chain_ids(diff_ids)):
        entry = os.path.join(root, *LAYERDB, chain.removeprefix("sha256:"))
        try:
            named = _read(os.path.join(entry, "diff")).decode().strip()
            cache_id = _read(os.path.join(entry, "cache-id")).decode().strip()
            bits = writes_type_bits(os.path.join(entry, "tar-split.json.gz"))
        except (OSError, ValueError, zlib.error) as error:
            raise StoreUnreadable(f"layer {diff_id} has no readable layerdb entry at {entry}: "
                                  f"{error}") from error
        if named != diff_id or not cache_id or "/" in cache_id or cache_id.startswith("."):
            raise StoreUnreadable(f"the layerdb entry {entry} does not name layer {diff_id}")
        directories.append(os.path.join(overlay, cache_id, "diff"))
        type_bits.append(bits)
    return StoreImage(config, tuple(directories), tuple(type_bits))


def _read(path: str) -> bytes:
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(64 << 20)


def read_from_store(selection: Selection, record: dict, cache: CacheStore | None,
                    options: ReadOptions) -> Image:
    """The image indexed from the engine's store: the layers not in `cache` are read from their
    directories, with every file hashed when `options` ask it, else only the contents the
    analysis compares (see overlay_layers.index_layers). StoreUnreadable when the store cannot serve it; a
    LayerReadError when a layer vanished or changed while it was read."""
    found = locate(record, options)
    diff_ids = list((record.get("RootFS") or {}).get("Layers") or ())
    cache = CacheStore(persistent=False) if cache is None else cache
    blobs = index_layers(diff_ids, found.directories, found.type_bits, cache, options)
    located = Located(found.config, [(diff_id, None, None) for diff_id in diff_ids],
                      tuple(record.get("RepoTags") or ()))
    image = resolve(IndexedLayers(blobs), replace(selection, image_id=record["Id"]), cache,
                    options, located)
    return replace(image, repo_tags=located.tags or image.repo_tags)
