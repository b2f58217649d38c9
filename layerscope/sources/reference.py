"""Parse an image reference (containers-transports(5) names) into the source that reads it."""

from __future__ import annotations

import os

from ..errors import UsageError

TYPE_CHECKING = False  # not typing's: importing typing costs a replayed run a tenth of its time
if TYPE_CHECKING:
    from .base import ImageSource
    from .registry_access import RegistryAccess
    from .registry_name import RegistryName


TRANSPORTS = ("containers-storage:", "dir:", "docker://", "docker-archive:", "docker-daemon:",
              "oci:", "oci-archive:")
"""The transports layerscope reads, as containers-transports(5) spells them."""
_UNREAD = {"ostree": "ostree repositories", "sif": "Singularity image files",
           "tarball": "plain filesystem tarballs", "atomic": "the retired atomic registry"}
_NOT_TRANSPORTS = frozenset(("podman", "buildah", "containerd", "nerdctl", "crio", "cri-o"))
"""Tools' names, written as if they were transports (`registry:2` and such stay engine names)."""
_TRANSPORT_NAME = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_TAG_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.zst")


def split_tag(value: str) -> tuple[str, str | None]:
    """PATH[:REF] as containers/image splits an oci: or oci-archive: reference: the whole value
    when that path exists (a colon in a path is kept), else the longest existing path before a
    colon with the rest as REF (which may hold colons itself: `localhost/app:1.0`), else the
    first colon splits, as containers/image does."""
    if os.path.exists(value) or ":" not in value:
        return value, None
    existing = _existing_prefix(value)
    if existing is not None:
        return existing
    path, _, tag = value.partition(":")
    return path, tag or None


def split_archive_tag(value: str) -> tuple[str, str | None]:
    """PATH[:NAME:TAG] for docker archives, whose tags contain a colon themselves."""
    if os.path.exists(value) or ":" not in value:
        return value, None
    existing = _existing_prefix(value)
    if existing is not None:
        return existing
    if value.count(":") < 2:
        return value, None
    path, name, tag = value.rsplit(":", 2)
    return path, f"{name}:{tag}"


def _existing_prefix(value: str) -> tuple[str, str | None] | None:
    """(path, ref) for the longest part of `value` before a colon that exists on disk."""
    position = len(value)
    while (position := value.rfind(":", 0, position)) > 0:
        if os.path.exists(value[:position]):
            return value[:position], value[position + 1:] or None
    return None


def _looks_like_path(reference: str) -> bool:
    return reference.startswith(("/", "./", "../", "~")) or reference.endswith(_ARCHIVE_SUFFIXES)


def _is_image_path(path: str) -> bool:
    """Whether an existing path before `:TAG` is meant as an image file or layout rather than
    an engine image whose name happens to be a file here (`size` beside `size:latest`)."""
    return ("/" in path or path.endswith(_ARCHIVE_SUFFIXES)
            or os.path.isfile(os.path.join(path, "index.json")))


def local_path(reference: str) -> str | None:
    """The file or directory a reference names, as open_source finds it; None for an engine
    image (or a registry, or containers-storage). Imports no source: a replayed run
    (layerscope.replay) keys on it."""
    return _locate(reference)[0]


def _locate(reference: str) -> tuple[str | None, str | None]:
    """(path, tag) of an image on disk; (None, None) for one the engine (or a registry, or
    podman's store) holds, or a reference open_source refuses."""
    transport, _, rest = reference.partition(":")
    if transport == "docker-archive":
        return split_archive_tag(rest)
    if transport in ("oci-archive", "oci"):
        return split_tag(rest)
    if transport == "dir":
        return rest, None
    if transport in ("docker-daemon", "containers-storage") or (
            transport == "docker" and rest.startswith("//")) or (
            ":" in reference and _refused(transport, rest)):
        return None, None
    if os.path.exists(reference):
        return reference, None
    existing = _existing_prefix(reference) if ":" in reference else None
    if existing is not None and _is_image_path(existing[0]):
        return existing
    if _looks_like_path(reference):
        return reference, None
    return None, None


def unknown_transport(reference: str) -> str | None:
    """The transport-like prefix of a reference that names no transport layerscope reads
    (`podman:x`, `oci-archve:/tmp/x.tar`, `ostree:...`), or None when the reference is a
    transport's, a path, or an engine image name (`size:latest`, `localhost:5000/app`)."""
    transport, colon, rest = reference.partition(":")
    if not colon or transport + ":" in TRANSPORTS or transport == "docker":
        return None
    if _refused(transport, rest):
        return transport
    if not _transport_like(transport) or transport == "sha256" or _engine_tail(rest):
        return None  # `ghcr.io/x:1`, `name@sha256:...`, `size:latest`: an engine name
    return None if _locate(reference)[0] is not None else transport


def _transport_like(name: str) -> bool:
    return bool(name) and set(name) <= _TRANSPORT_NAME and name[0].isalpha()


def _refused(transport: str, rest: str) -> bool:
    """A prefix that is surely meant as a transport layerscope does not read: containers/image's
    others, a tool's name, or a near miss of a transport's name (`oci-archve:`)."""
    if not _transport_like(transport):
        return False
    if transport in _UNREAD or transport in _NOT_TRANSPORTS:
        return True
    return not _engine_tail(rest) and _near_transport(transport) is not None


def _engine_tail(rest: str) -> bool:
    """Whether what follows the first colon of NAME:... is an engine name's tag (and digest)
    or a registry port (`localhost:5000/app`)."""
    tag, _, digest = rest.partition("@")
    if tag and set(tag) <= _TAG_CHARACTERS and tag[0] not in ".-" and len(tag) <= 128:
        return not digest or digest.startswith("sha256:")
    port, slash, _ = rest.partition("/")
    return bool(slash and port.isdigit())


def _near_transport(name: str) -> str | None:
    """The transport (as spelt in TRANSPORTS) a misspelt name is closest to, if any."""
    import difflib  # only for a reference that already looks like a transport

    names = {t.rstrip(":/"): t for t in TRANSPORTS}
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.75)
    return names[close[0]] if close else None


def _refuse_transport(reference: str, transport: str) -> UsageError:
    known = ", ".join(TRANSPORTS)
    if transport in _UNREAD:
        return UsageError(f"{reference}: layerscope does not read {_UNREAD[transport]} "
                          f"({transport}:); it reads {known}",
                          hint="copy the image to one of those first, e.g. `skopeo copy "
                               f"{transport}:... oci:DIR:REF`")
    near = _near_transport(transport)
    if near and transport not in _NOT_TRANSPORTS:
        hint = f"did you mean {near}?"
    elif transport in _NOT_TRANSPORTS:
        hint = ("podman's and buildah's images: containers-storage:NAME; " if transport in (
            "podman", "buildah") else "") + f"an engine image so named: docker-daemon:{reference}"
    else:
        hint = "a path is read as a file or directory; docker-daemon:NAME names an engine image"
    return UsageError(f"{reference}: {transport}: is not a transport; the transports are "
                      f"{known}", hint=hint)


def open_source(reference: str, platform: str | None = None,
                access: RegistryAccess | None = None) -> ImageSource:
    """The source for a reference: a transport prefix, an existing path, or an engine image;
    `access` is how to reach a registry (credentials, TLS) for a docker:// reference."""
    # each source is imported where it is chosen: an archive run never loads the docker SDK,
    # and a replayed run (layerscope.replay) parses references without any of them
    from .manifests import Selection

    if not reference:
        raise UsageError("an image reference is required")
    transport, _, rest = reference.partition(":")
    if transport == "docker" and rest.startswith("//"):
        # `docker:NAME` without the slashes stays an engine image named docker
        from .registry_name import parse_registry  # its grammar is compiled only when needed

        return _registry(parse_registry(reference), Selection(reference, platform=platform),
                         access)
    if transport == "containers-storage":
        from .containers_storage import ContainersStorageSource

        return ContainersStorageSource(rest, Selection(reference, platform=platform))
    unknown = unknown_transport(reference)
    if unknown is not None:
        raise _refuse_transport(reference, unknown)
    path, tag = _locate(reference)
    if path is None:
        name = rest if transport == "docker-daemon" else reference
        return _engine(name, Selection(reference, platform=platform))
    if transport == "docker-archive":
        return _archive(path, Selection(reference, tag=tag, platform=platform))
    if transport == "oci-archive":
        return _archive(path, Selection(reference, tag, platform, oci_index=True))
    if transport == "oci":
        return _layout(path, Selection(reference, tag, platform, oci_index=True))
    if transport == "dir":
        from .dir_layout import DirLayoutSource

        return DirLayoutSource(path, Selection(reference, platform=platform))
    if os.path.isdir(path):
        return _layout(path, Selection(reference, tag=tag, platform=platform))
    return _archive(path, Selection(reference, tag=tag, platform=platform))


def _engine(name: str, selection) -> ImageSource:
    from .engine import EngineSource

    return EngineSource(name, selection)


def _registry(name: RegistryName, selection, access) -> ImageSource:
    from .registry import RegistrySource
    from .registry_access import RegistryAccess

    return RegistrySource(name, selection, access or RegistryAccess())


def _archive(path: str, selection) -> ImageSource:
    from .archive import ArchiveFileSource

    return ArchiveFileSource(path, selection)


def _layout(path: str, selection) -> ImageSource:
    from .oci_layout import OciLayoutSource

    return OciLayoutSource(path, selection)
