"""Parse an image reference (containers-transports(5) names) into the source that reads it."""

from __future__ import annotations

import os

from ..errors import UsageError

TYPE_CHECKING = False  # not typing's: importing typing costs a replayed run a tenth of its time
if TYPE_CHECKING:
    from .base import ImageSource


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


def open_source(reference: str, platform: str | None = None) -> ImageSource:
    """The source for a reference: a transport prefix, an existing path, or an engine image."""
    # each source is imported where it is chosen: an archive run never loads the docker SDK,
    # and a replayed run (layerscope.replay) parses references without any of them
    from .manifests import Selection

    if not reference:
        raise UsageError("an image reference is required")
    transport, _, rest = reference.partition(":")
    if transport == "docker" and rest.startswith("//"):
        raise UsageError(f"registry references ({reference}) are not supported yet",
                         hint="pull the image with docker first, then inspect it by name")
    if transport == "docker-daemon":
        return _engine(rest, Selection(reference, platform=platform))
    if transport == "docker-archive":
        path, tag = split_archive_tag(rest)
        return _archive(path, Selection(reference, tag=tag, platform=platform))
    if transport == "oci-archive":
        path, tag = split_tag(rest)
        return _archive(path, Selection(reference, tag, platform, oci_index=True))
    if transport == "oci":
        path, tag = split_tag(rest)
        return _layout(path, Selection(reference, tag, platform, oci_index=True))
    if os.path.isdir(reference):
        return _layout(reference, Selection(reference, platform=platform))
    if os.path.exists(reference) or _looks_like_path(reference):
        return _archive(reference, Selection(reference, platform=platform))
    return _engine(reference, Selection(reference, platform=platform))


def _engine(name: str, selection) -> ImageSource:
    from .engine import EngineSource

    return EngineSource(name, selection)


def _archive(path: str, selection) -> ImageSource:
    from .archive import ArchiveFileSource

    return ArchiveFileSource(path, selection)


def _layout(path: str, selection) -> ImageSource:
    from .oci_layout import OciLayoutSource

    return OciLayoutSource(path, selection)
