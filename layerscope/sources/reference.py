"""Parse an image reference (containers-transports(5) names) into the source that reads it."""

from __future__ import annotations

import os

from ..errors import UsageError

TYPE_CHECKING = False  # not typing's: importing typing costs a replayed run a tenth of its time
if TYPE_CHECKING:
    from .base import ImageSource
    from .registry_access import RegistryAccess
    from .registry_name import RegistryName


def split_tag(value: str) -> tuple[str, str | None]:
    """PATH[:tag], where the path wins when it exists with the colon in it."""
    if os.path.exists(value) or ":" not in value:
        return value, None
    path, _, tag = value.rpartition(":")
    return path, tag or None


def split_archive_tag(value: str) -> tuple[str, str | None]:
    """PATH[:NAME:TAG] for docker archives, whose tags contain a colon themselves."""
    if os.path.exists(value) or value.count(":") < 2:
        return value, None
    path, name, tag = value.rsplit(":", 2)
    return path, f"{name}:{tag}"


def _looks_like_path(reference: str) -> bool:
    return (reference.startswith(("/", "./", "../", "~"))
            or reference.endswith((".tar", ".tar.gz", ".tgz", ".tar.zst")))


def local_path(reference: str) -> str | None:
    """The file or directory a reference names, as open_source finds it; None for an engine
    image (or a registry). Imports no source: a replayed run (layerscope.replay) keys on it."""
    return _locate(reference)[0]


def _locate(reference: str) -> tuple[str | None, str | None]:
    """(path, tag) of an image on disk; (None, None) for one the engine (or a registry) holds."""
    transport, _, rest = reference.partition(":")
    if transport == "docker-archive":
        return split_archive_tag(rest)
    if transport in ("oci-archive", "oci"):
        return split_tag(rest)
    if transport == "docker-daemon" or (transport == "docker" and rest.startswith("//")):
        return None, None
    if os.path.exists(reference) or _looks_like_path(reference):
        return reference, None
    return None, None


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
    if os.path.isdir(path):
        return _layout(path, Selection(reference, platform=platform))
    return _archive(path, Selection(reference, platform=platform))


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
