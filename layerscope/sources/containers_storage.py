"""containers-storage: transport, podman's and buildah's local image store read directly.

The store (containers-storage(5)) keeps, under its graph root, `<driver>-images/images.json`
(each image's ID, names, top layer and the files of its "big data": config and manifests),
`<driver>-layers/layers.json` (each layer's parent and diff digest) and, for the overlay driver,
each layer's files in `overlay/<layer ID>/diff` with whiteouts as 0/0 character devices and
opaque directories marked by an xattr: the same upper-directory layout the Docker engine's
overlay2 store keeps, indexed the same way (sources.overlay_layers). The vfs driver keeps each
layer's whole tree in `vfs/dir/<layer ID>`: its layers, and overlay layers under --verify, are
rebuilt from their tar-split as `podman save` rebuilds them (sources.tar_split). Everything is
checked against its content address (the config's sha256 is the image ID, each layer's diff
digest is the config's diff ID at its place), so the figures are those `podman save` gives.

A reference is `containers-storage:[DRIVER@ROOT+RUNROOT:OPTIONS]NAME` as containers/image
spells it; without the bracket the graph root is storage.conf's (CONTAINERS_STORAGE_CONF, else
/etc/containers/storage.conf), else podman's default for the user. NAME is NAME[:TAG],
NAME@DIGEST, an image ID or a unique prefix of one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zlib
from dataclasses import dataclass, replace

from ..errors import SourceError, UsageError
from ..layers.blob import IndexedBlob, index_blob
from ..layers.cache import CacheStore
from ..layers.limits import ReadOptions
from ..model import Image
from . import platforms
from .base import Progress
from .manifests import Located, Selection
from .overlay_layers import IndexedLayers, index_layers, writes_type_bits
from .resolve import resolve
from .tar_split import TarSplitStream

ROOT_DEFAULT = "/var/lib/containers/storage"
"""The graph root of a root podman or buildah with no storage.conf."""
STORAGE_CONF = "/etc/containers/storage.conf"
METADATA_LIMIT = 64 << 20
"""The largest images.json, layers.json or config read (a store of thousands of images)."""
HEX = frozenset("0123456789abcdef")
DRIVERS = {"overlay": ("overlay",), "vfs": ("vfs", "dir")}
"""The drivers read, and where each keeps a layer's directory below the graph root."""


@dataclass(frozen=True, slots=True)
class StorageReference:
    """A containers-storage reference, its store spec resolved."""

    name: str
    """The image: NAME[:TAG], NAME@DIGEST, an ID or a unique ID prefix."""
    root: str
    """The store's graph root."""
    driver: str
    """The graph driver ("overlay" or "vfs"; others are refused with a hint)."""


def parse(rest: str) -> StorageReference:
    """What follows `containers-storage:`; the bracketed store spec is optional."""
    spec = ""
    if rest.startswith("["):
        spec, closed, rest = rest[1:].partition("]")
        if not closed:
            raise UsageError(f"containers-storage:[{spec}: the store spec has no closing ]",
                             hint="containers-storage:[overlay@/var/lib/containers/storage]NAME")
    if not rest:
        raise UsageError("containers-storage: needs an image name or ID",
                         hint="containers-storage:localhost/app:1.0")
    driver, at, root = spec.partition("@")
    if not at:
        driver, root = ("", spec) if spec.startswith("/") else (spec, "")
    root = root.partition("+")[0].partition(":")[0]  # the run root and options: not needed
    conf_driver, conf_root = _configured()
    root = root or conf_root or _default_root()
    driver = driver or conf_driver or _present_driver(root)
    return StorageReference(rest, root, driver)


def storage_conf() -> str:
    """The storage.conf that chooses the default store (which may not exist)."""
    return os.environ.get("CONTAINERS_STORAGE_CONF") or STORAGE_CONF


def _configured() -> tuple[str, str]:
    """(driver, graph root) from storage.conf, when there is one that says."""
    path = storage_conf()
    try:
        with open(path, "rb") as handle:
            import tomllib  # only for a containers-storage reference

            storage = tomllib.load(handle).get("storage") or {}
    except OSError:
        return "", ""
    except ValueError as error:
        raise SourceError(f"{path} is not valid TOML: {error}") from error
    root = storage.get("graphroot") if os.geteuid() == 0 else storage.get("rootless_storage_path")
    return str(storage.get("driver") or ""), str(root or "")


def _default_root() -> str:
    if os.geteuid() == 0:
        return ROOT_DEFAULT
    data = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return os.path.join(data, "containers", "storage")


def _present_driver(root: str) -> str:
    found = [name.removesuffix("-images") for name in _listing(root)
             if name.endswith("-images")]
    return found[0] if len(found) == 1 else "overlay"


def _listing(root: str) -> list[str]:
    try:
        return sorted(os.listdir(root))
    except OSError:
        return []


def _read(path: str, what: str) -> bytes:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        with os.fdopen(descriptor, "rb") as handle:
            return handle.read(METADATA_LIMIT)
    except OSError as error:
        raise SourceError(f"cannot read {what} {path}: {error.strerror}",
                          hint="read the store as its owner (root for /var/lib/containers), or "
                               "export the image: podman save -o IMAGE.tar NAME") from error


def _records(path: str, what: str) -> list[dict]:
    try:
        records = json.loads(_read(path, what))
    except (ValueError, RecursionError) as error:
        raise SourceError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SourceError(f"{path} is not a list of {what} records")
    return records


def _matches(record: dict, name: str) -> bool:
    names = [n for n in record.get("names") or () if isinstance(n, str)]
    digests = [d for d in [record.get("digest"), *(record.get("digests") or ())]
               if isinstance(d, str)]
    base, at, digest = name.partition("@")
    if at:
        return digest in digests and (not base or any(_same_name(n, base) for n in names))
    return any(_same_name(n, name) for n in names)


def _same_name(stored: str, wanted: str) -> bool:
    """podman's short-name match: `app` is `localhost/app:latest` or `docker.io/library/app`."""
    stored_repo, _, stored_tag = stored.rpartition(":")
    if "/" in stored_tag:  # a port, not a tag
        stored_repo, stored_tag = stored, "latest"
    last = wanted.rpartition("/")[2]
    repo, tag = (wanted.rpartition(":")[0], last.rpartition(":")[2]) if ":" in last else (
        wanted, "latest")
    return stored_tag == tag and (stored_repo == repo or stored_repo.endswith("/" + repo))


def find_image(records: list[dict], name: str) -> dict:
    """The one image record `name` selects, or a SourceError listing what the store holds."""
    hex_id = name.removeprefix("sha256:").removeprefix("@")
    found = [r for r in records if _matches(r, name)]
    if not found and len(hex_id) >= 3 and set(hex_id) <= HEX:
        found = [r for r in records if str(r.get("id") or "").startswith(hex_id)]
    if len(found) == 1:
        return found[0]
    held = sorted(n for r in records for n in r.get("names") or () if isinstance(n, str))
    listed = ", ".join(held[:12]) + (f" and {len(held) - 12} more" if len(held) > 12 else "")
    if not found:
        raise SourceError(f"no image {name} in the containers storage"
                          + (f"; it holds {listed}" if held else " (it holds no named image)"),
                          hint="list them with `podman images`; give the root of another store "
                               "as containers-storage:[overlay@ROOT]NAME")
    raise SourceError(f"{name} names {len(found)} images in the containers storage",
                      hint="give the full image ID")


def big_data_file(key: str) -> str:
    """The file containers/storage keeps an image's big-data item in: a key that is not a safe
    file name (a digest has ':') is base64'd behind '='."""
    if key and all(c.isalnum() or c in "-_." for c in key) and not key.startswith("."):
        return key
    return "=" + base64.b64encode(key.encode()).decode()


def layer_chain(layers: list[dict], top: str) -> list[dict]:
    """The layer records from the base up to `top`, following each layer's parent."""
    by_id = {str(r.get("id")): r for r in layers}
    chain: list[dict] = []
    current: str | None = top
    while current:
        record = by_id.get(current)
        if record is None:
            raise SourceError(f"layer {current} is missing from the containers storage")
        chain.append(record)
        if len(chain) > len(by_id):
            raise SourceError("the containers storage's layers form a cycle")
        current = record.get("parent") or None
    return chain[::-1]


class ContainersStorageSource:
    """An image in podman's / buildah's local store, indexed from its overlay layers.

    One object serves one run: the metadata identity() finds is kept for read()."""

    def __init__(self, rest: str, selection: Selection) -> None:
        self.reference = parse(rest)
        """The image and the store it is in."""
        self.selection = selection
        """The reference as given and the platform asked for."""
        self._found: tuple[bytes, list[str], list[dict], tuple[str, ...]] | None = None

    def describe(self) -> str:
        return self.selection.ref

    def _find(self) -> tuple[bytes, list[str], list[dict], tuple[str, ...]]:
        """(config, diff IDs, layer records, names) of the image, every one checked."""
        if self._found is not None:
            return self._found
        ref = self.reference
        if ref.driver not in DRIVERS:
            raise SourceError(f"the containers storage at {ref.root} uses the {ref.driver} "
                              "driver; layerscope reads the overlay and vfs drivers' layers",
                              hint=f"export the image: podman save -o IMAGE.tar {ref.name}")
        images_dir = os.path.join(ref.root, f"{ref.driver}-images")
        if not os.path.isdir(images_dir):
            raise SourceError(f"no containers storage at {ref.root} (no {ref.driver}-images)",
                              hint="give the store's driver and root: "
                                   "containers-storage:[overlay@ROOT]NAME")
        record = find_image(_records(os.path.join(images_dir, "images.json"), "image"),
                            ref.name)
        image_id = str(record.get("id") or "")
        if len(image_id) != 64 or not set(image_id) <= HEX:
            raise SourceError(f"images.json has a malformed image ID {image_id[:80]!r}")
        config = _read(os.path.join(images_dir, image_id, big_data_file("sha256:" + image_id)),
                       "image config")
        if hashlib.sha256(config).hexdigest() != image_id:
            raise SourceError(f"the config stored for image {image_id} is not its config "
                              "(the store is damaged or was changed while read)")
        try:
            diff_ids = [str(d) for d in json.loads(config)["rootfs"]["diff_ids"] or ()]
        except (ValueError, KeyError, TypeError, RecursionError) as error:
            raise SourceError(f"image {image_id}'s config has no rootfs.diff_ids") from error
        top = record.get("layer")
        layers_json = os.path.join(ref.root, f"{ref.driver}-layers", "layers.json")
        chain = layer_chain(_records(layers_json, "layer"), str(top)) if top else []
        stored = [str(layer.get("diff-digest") or "") for layer in chain]
        if stored != diff_ids:
            raise SourceError(f"image {image_id}'s layers in the store ({len(stored)}) are not "
                              f"the {len(diff_ids)} its config names")
        if self.selection.platform is not None:
            platforms.check_image_platform(self.selection.platform, json.loads(config),
                                           self.selection.ref)
        names = tuple(n for n in record.get("names") or () if isinstance(n, str))
        self._found = (config, diff_ids, chain, names)
        return self._found

    def identity(self) -> str:
        return "sha256:" + hashlib.sha256(self._find()[0]).hexdigest()

    def local_files(self) -> tuple[str, ...]:
        """What a replayed report is keyed on (layerscope.replay): images.json and layers.json,
        which containers/storage rewrites (to a new file, renamed into place) whenever an image
        or layer is added, removed, renamed or tagged; the image's config; storage.conf when it
        chose the store. A layer's directory is not listed: a committed layer is never changed
        in place, and a layer removed and made again under its ID rewrites layers.json."""
        config = self._find()[0]
        ref = self.reference
        root = os.path.abspath(ref.root)
        images_dir = os.path.join(root, f"{ref.driver}-images")
        image_id = hashlib.sha256(config).hexdigest()
        files = [os.path.join(images_dir, "images.json"),
                 os.path.join(root, f"{ref.driver}-layers", "layers.json"),
                 os.path.join(images_dir, image_id, big_data_file("sha256:" + image_id))]
        conf = storage_conf()
        return tuple(files + [os.path.abspath(conf)] if os.path.exists(conf) else files)

    def read(self, progress: Progress | None = None, cache: CacheStore | None = None,
             options: ReadOptions | None = None) -> Image:
        config, diff_ids, chain, names = self._find()
        options = ReadOptions() if options is None else options
        cache = CacheStore(persistent=False) if cache is None else cache
        root, driver = self.reference.root, self.reference.driver
        layer_ids = []
        for layer in chain:
            layer_id = str(layer.get("id") or "")
            if not layer_id or "/" in layer_id or layer_id.startswith("."):
                raise SourceError(f"layers.json has a malformed layer ID {layer_id[:80]!r}")
            layer_ids.append(layer_id)
        directories = [os.path.join(root, *DRIVERS[driver], layer_id) for layer_id in layer_ids]
        directories = [os.path.join(d, "diff") if driver == "overlay" else d
                       for d in directories]
        tar_splits = [os.path.join(root, f"{driver}-layers", layer_id + ".tar-split.gz")
                      for layer_id in layer_ids]
        if progress:
            progress(f"indexing {len(chain)} layers from {root}")
        located = Located(config, [(diff_id, None, None) for diff_id in diff_ids], names)
        if driver == "overlay" and not options.verify:
            type_bits = [_type_bits(path) for path in tar_splits]
            store = IndexedLayers(index_layers(diff_ids, directories, type_bits, cache, options))
        else:  # the whole tree of each layer (vfs), or a digest to check: rebuild each tar
            store = RebuiltLayers(dict(zip(diff_ids, zip(tar_splits, directories))), options)
        image = resolve(store, self.selection, cache, options, located)
        return replace(image, repo_tags=names)


class RebuiltLayers:
    """The store's layers as resolve reads blobs: each tar rebuilt from its tar-split and the
    layer's directory, streamed into the layer reader."""

    def __init__(self, layers: dict[str, tuple[str, str]], options: ReadOptions) -> None:
        self.layers = layers
        """diff ID -> (tar-split path, layer directory)."""
        self.options = options
        """How to index (capture, hashing, --verify's digest)."""

    def has(self, name: str) -> bool:
        return name in self.layers

    def raw(self, name: str) -> bytes:
        raise SourceError(f"{name} is not a document of the containers storage")

    def layer(self, name: str) -> IndexedBlob:
        tar_split, directory = self.layers[name]
        if not os.path.exists(tar_split):
            raise SourceError(f"layer {name} has no tar-split at {tar_split} to rebuild it from",
                              hint="export the image: podman save -o IMAGE.tar NAME")
        stream = TarSplitStream(tar_split, directory)
        try:
            return index_blob(stream, None, options=self.options)
        finally:
            stream.close()


def _type_bits(path: str) -> bool:
    """Whether the layer's tar carried file-type bits in its modes, from its tar-split (a layer
    without one is taken as Go's writer makes it)."""
    if not os.path.exists(path):
        return False
    try:
        return writes_type_bits(path)
    except (OSError, ValueError, zlib.error) as error:
        raise SourceError(f"the tar-split {path} cannot be read: {error}") from error
