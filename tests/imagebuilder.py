"""Synthesize container image archives (docker save, OCI layout) from a readable description."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import posixpath
import tarfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import zstandard

CREATED = "2024-01-01T00:00:00Z"
EMPTY_LAYER_DIFF_ID = "sha256:" + hashlib.sha256(bytes(1024)).hexdigest()

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_MEDIA_TYPES = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


# ---------------------------------------------------------------- layer entries


@dataclass(frozen=True)
class Entry:
    """One tar member of a layer."""

    name: str  # member name as written, relative, no leading '/'
    type: bytes  # tarfile.REGTYPE, DIRTYPE, ...
    content: bytes = b""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    mtime: int = 0
    linkname: str = ""
    devmajor: int = 0
    devminor: int = 0


def _rel(path: str) -> str:
    """Member name the way docker writes it: relative, no trailing slash (tarfile adds it)."""
    return path.strip("/")


def file(path: str, content: bytes | str = b"", *, mode=0o644, uid=0, gid=0, mtime=0) -> Entry:
    """Regular file."""
    data = content.encode() if isinstance(content, str) else bytes(content)
    return Entry(_rel(path), tarfile.REGTYPE, data, mode, uid, gid, mtime)


def directory(path: str, *, mode=0o755, uid=0, gid=0, mtime=0) -> Entry:
    """Directory (tarfile writes the name with a trailing '/')."""
    return Entry(_rel(path), tarfile.DIRTYPE, mode=mode, uid=uid, gid=gid, mtime=mtime)


def symlink(path: str, target: str) -> Entry:
    """Symbolic link; target kept verbatim (absolute or relative)."""
    return Entry(_rel(path), tarfile.SYMTYPE, mode=0o777, linkname=target)


def hardlink(path: str, target: str) -> Entry:
    """Hard link to another member of the same layer."""
    return Entry(_rel(path), tarfile.LNKTYPE, linkname=_rel(target))


def whiteout(path: str) -> Entry:
    """AUFS-style whiteout hiding PATH from lower layers."""
    parent, name = posixpath.split(_rel(path))
    return Entry(posixpath.join(parent, ".wh." + name), tarfile.REGTYPE)


def opaque(directory_path: str) -> Entry:
    """Opaque marker: DIRECTORY's lower-layer contents are hidden."""
    return Entry(posixpath.join(_rel(directory_path), ".wh..wh..opq"), tarfile.REGTYPE)


def fifo(path: str) -> Entry:
    """Named pipe."""
    return Entry(_rel(path), tarfile.FIFOTYPE)


def chardev(path: str, major=1, minor=3) -> Entry:
    """Character device (default 1:3 is /dev/null)."""
    return Entry(_rel(path), tarfile.CHRTYPE, mode=0o666, devmajor=major, devminor=minor)


# ---------------------------------------------------------------- image description


@dataclass(frozen=True)
class Step:
    """One history entry; entries=None means an empty_layer step (ENV, CMD, ...)."""

    created_by: str
    entries: tuple[Entry, ...] | None = ()
    comment: str = ""


@dataclass(frozen=True)
class ImageSpec:
    """A whole single-platform image."""

    steps: tuple[Step, ...]
    repo_tag: str = "test:latest"
    architecture: str = "amd64"
    os: str = "linux"
    variant: str | None = None
    include_history: bool = True


# ---------------------------------------------------------------- bytes


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json(obj) -> bytes:
    # Compact like Go's encoding/json, so digests are over realistic bytes.
    return json.dumps(obj, separators=(",", ":")).encode()


def _tar(members: Iterable[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    """Tar bytes ended like Go's archive/tar: two zero blocks, no padding to 10 KiB records."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
        end = tar.offset
    # Docker layers are written by Go, so an empty layer is 1024 bytes, not 10240.
    return buf.getvalue()[:end] + bytes(1024)


def layer_tar(entries: Iterable[Entry]) -> bytes:
    """Uncompressed tar of one layer, members in the given order."""

    def members():
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.type, info.mode, info.mtime = e.type, e.mode, e.mtime
            info.uid, info.gid, info.linkname = e.uid, e.gid, e.linkname
            info.devmajor, info.devminor = e.devmajor, e.devminor
            info.size = len(e.content) if e.type == tarfile.REGTYPE else 0
            yield info, e.content

    return _tar(members())


def compress(data: bytes, compression: str) -> bytes:
    """Compress with "none", "gzip" or "zstd", deterministically."""
    if compression == "none":
        return data
    if compression == "gzip":
        return gzip.compress(data, mtime=0)  # mtime=0 keeps the header reproducible
    if compression == "zstd":
        return zstandard.ZstdCompressor(level=3).compress(data)
    raise ValueError(f"unknown compression {compression!r}")


@dataclass(frozen=True)
class _Built:
    """An image rendered to bytes: uncompressed layer tars (one per non-empty step) and config."""

    spec: ImageSpec
    layers: tuple[bytes, ...]
    config: bytes


def _build(spec: ImageSpec) -> _Built:
    layers = tuple(layer_tar(s.entries) for s in spec.steps if s.entries is not None)
    history = []
    for s in spec.steps:
        h = {"created": CREATED, "created_by": s.created_by}
        if s.comment:
            h["comment"] = s.comment
        if s.entries is None:
            h["empty_layer"] = True
        history.append(h)
    config = {"architecture": spec.architecture, "os": spec.os}
    if spec.variant:
        config["variant"] = spec.variant
    config["config"] = {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "Cmd": ["/bin/sh"],
    }
    config["created"] = CREATED
    config["rootfs"] = {"type": "layers", "diff_ids": ["sha256:" + _sha(t) for t in layers]}
    if spec.include_history:
        config["history"] = history
    return _Built(spec, layers, _json(config))


def _split_ref(repo_tag: str) -> tuple[str, str]:
    """("repo", "tag") from "repo:tag"; the tag defaults to latest."""
    repo, sep, tag = repo_tag.rpartition(":")
    if not sep or "/" in tag:  # the colon belonged to a registry port
        return repo_tag, "latest"
    return repo, tag


def _full_name(repo_tag: str) -> str:
    """Fully qualified name as containerd records it (docker.io/library/busybox:latest)."""
    repo, tag = _split_ref(repo_tag)
    first = repo.split("/")[0]
    if "/" not in repo:
        repo = "docker.io/library/" + repo
    elif not ("." in first or ":" in first or first == "localhost"):
        repo = "docker.io/" + repo
    return f"{repo}:{tag}"


# ---------------------------------------------------------------- file trees


@dataclass(frozen=True)
class _Link:
    """Symlink inside an output archive (docker save links repeated layer.tar files)."""

    target: str


Tree = dict[str, "bytes | _Link"]


def _walk_order(path: str) -> tuple[str, ...]:
    # Docker tars its temp dir via filepath.Walk, which visits names lexically per directory.
    return tuple(path.split("/"))


def _tar_tree(tree: Tree) -> bytes:
    """Pack a file tree into a tar with explicit directory members, in walk order."""
    dirs = {posixpath.dirname(p) for p in tree}
    for d in list(dirs):
        while d:
            dirs.add(d)
            d = posixpath.dirname(d)
    dirs.discard("")
    items: list[tuple[str, bytes | _Link | None]] = [(d, None) for d in dirs]
    items += list(tree.items())

    def members():
        for name, value in sorted(items, key=lambda kv: _walk_order(kv[0])):
            info = tarfile.TarInfo(name)
            if value is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            elif isinstance(value, _Link):
                info.type, info.mode, info.linkname = tarfile.SYMTYPE, 0o777, value.target
            else:
                info.size = len(value)
            yield info, value if isinstance(value, bytes) else b""

    return _tar(members())


def _write_tar(tree: Tree, path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(_tar_tree(tree))
    return out


def _descriptor(media_type: str, data: bytes, **extra) -> dict:
    return {"mediaType": media_type, "digest": "sha256:" + _sha(data), "size": len(data), **extra}


def _add_manifest(tree: Tree, built: _Built, compression: str) -> tuple[bytes, list[str]]:
    """Put config and layer blobs into TREE; return the manifest bytes and layer blob paths."""
    tree[f"blobs/sha256/{_sha(built.config)}"] = built.config
    layer_descs, paths = [], []
    for raw in built.layers:
        blob = compress(raw, compression)
        path = f"blobs/sha256/{_sha(blob)}"
        tree[path] = blob  # content addressed: a repeated layer is stored once
        paths.append(path)
        layer_descs.append(_descriptor(LAYER_MEDIA_TYPES[compression], blob))
    manifest = _json(
        {
            "schemaVersion": 2,
            "mediaType": MT_OCI_MANIFEST,
            "config": _descriptor(MT_OCI_CONFIG, built.config),
            "layers": layer_descs,
        }
    )
    tree[f"blobs/sha256/{_sha(manifest)}"] = manifest
    return manifest, paths


def _legacy_tree(built: _Built) -> Tree:
    """`docker save` of Docker <= 24: one directory per layer, named by a v1 image id."""
    tree: Tree = {}
    spec, config_hex = built.spec, _sha(built.config)
    diff_ids = json.loads(built.config)["rootfs"]["diff_ids"]
    layer_paths: list[str] = []
    first_path: dict[str, str] = {}  # diff_id -> path of the layer.tar that holds its bytes
    parent, chain = "", ""
    for raw, diff_id in zip(built.layers, diff_ids, strict=True):
        # The v1 id hashes the chain and parent, so equal content at two depths gets two ids.
        chain = diff_id if not chain else "sha256:" + _sha(f"{chain} {diff_id}".encode())
        v1_id = _sha(_json({"layer_id": chain, "parent": parent}))
        v1 = {"id": v1_id, **({"parent": parent} if parent else {})}
        v1 |= {"created": "1970-01-01T00:00:00Z", "container_config": {}, "os": spec.os}
        tree[f"{v1_id}/VERSION"] = b"1.0"
        tree[f"{v1_id}/json"] = _json(v1)
        if diff_id in first_path:
            # Docker stores repeated content once and symlinks the later layer.tar to it.
            tree[f"{v1_id}/layer.tar"] = _Link(f"../{first_path[diff_id]}")
        else:
            tree[f"{v1_id}/layer.tar"] = raw
            first_path[diff_id] = f"{v1_id}/layer.tar"
        layer_paths.append(f"{v1_id}/layer.tar")
        parent = v1_id
    repo, tag = _split_ref(spec.repo_tag)
    tree[f"{config_hex}.json"] = built.config
    tree["manifest.json"] = _json(
        [{"Config": f"{config_hex}.json", "RepoTags": [spec.repo_tag], "Layers": layer_paths}]
    )
    if parent:
        tree["repositories"] = _json({repo: {tag: parent}})
    return tree


def _oci_docker_tree(built: _Built, compression: str) -> Tree:
    """`docker save` of Docker >= 25: an OCI layout plus the legacy manifest.json."""
    tree: Tree = {"oci-layout": _json({"imageLayoutVersion": "1.0.0"})}
    spec = built.spec
    manifest, layer_paths = _add_manifest(tree, built, compression)
    annotations = {
        "io.containerd.image.name": _full_name(spec.repo_tag),
        "org.opencontainers.image.ref.name": _split_ref(spec.repo_tag)[1],
    }
    tree["index.json"] = _json(
        {
            "schemaVersion": 2,
            "mediaType": MT_OCI_INDEX,
            "manifests": [_descriptor(MT_OCI_MANIFEST, manifest, annotations=annotations)],
        }
    )
    tree["manifest.json"] = _json(
        [
            {
                "Config": f"blobs/sha256/{_sha(built.config)}",
                "RepoTags": [spec.repo_tag],
                "Layers": layer_paths,
            }
        ]
    )
    return tree


def _oci_tree(specs: ImageSpec | Sequence[ImageSpec], compression: str, tag: str) -> Tree:
    """Plain OCI image layout; several specs become one multi-platform image index."""
    single = isinstance(specs, ImageSpec)
    specs = [specs] if single else list(specs)
    if not specs:
        raise ValueError("need at least one ImageSpec")
    tree: Tree = {"oci-layout": _json({"imageLayoutVersion": "1.0.0"})}
    ref = {"org.opencontainers.image.ref.name": tag}
    manifests = []
    for spec in specs:
        manifest, _ = _add_manifest(tree, _build(spec), compression)
        platform = {"architecture": spec.architecture, "os": spec.os}
        if spec.variant:
            platform["variant"] = spec.variant
        manifests.append(_descriptor(MT_OCI_MANIFEST, manifest, platform=platform))
    if single:
        # skopeo/buildah leave the platform off a lone manifest; the ref name tags it.
        top = {k: v for k, v in manifests[0].items() if k != "platform"} | {"annotations": ref}
    else:
        index = _json({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": manifests})
        tree[f"blobs/sha256/{_sha(index)}"] = index
        top = _descriptor(MT_OCI_INDEX, index, annotations=ref)
    tree["index.json"] = _json({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": [top]})
    return tree


# ---------------------------------------------------------------- writers


def write_docker_archive(spec: ImageSpec, path, *, layout="legacy", compression="none") -> Path:
    """Write a `docker save` tar: layout "legacy" (Docker <= 24) or "oci" (Docker >= 25)."""
    built = _build(spec)
    if layout == "legacy":
        if compression != "none":
            raise ValueError("legacy docker save layers are always uncompressed")
        return _write_tar(_legacy_tree(built), path)
    if layout == "oci":
        return _write_tar(_oci_docker_tree(built, compression), path)
    raise ValueError(f"unknown layout {layout!r}")


def write_oci_layout(specs, directory, *, compression="gzip", tag="latest") -> Path:
    """Write an OCI image layout directory for one spec or a multi-platform list of specs."""
    root = Path(directory)
    for name, data in _oci_tree(specs, compression, tag).items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def write_oci_archive(specs, path, *, compression="gzip", tag="latest") -> Path:
    """Write the same OCI image layout packed as a tar file."""
    return _write_tar(_oci_tree(specs, compression, tag), path)


def write_layer_directories(root: Path, contents: Sequence[dict[str, bytes]]) -> list[str]:
    """Overlay-style diff directories under `root` (layer0, layer1, ...), one per dict of
    file name -> bytes; their paths, bottom first."""
    directories = []
    for number, files in enumerate(contents):
        layer = root / f"layer{number}"
        layer.mkdir()
        for name, data in files.items():
            (layer / name).write_bytes(data)
        directories.append(str(layer))
    return directories
