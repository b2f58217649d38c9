"""docker-daemon: transport, the local Docker engine through the docker SDK.

Where the engine's overlay2 layer store is readable from here (its own host, as root), the
layers are indexed from their directories (sources/engine_store.py), at the speed of the disk.
Otherwise, or with --export, the engine's `docker save` stream is fed straight into the shared
archive reader: one pass, no temporary file; several images are exported together, so the
layers they share stream once. Nothing is ever pulled, tagged or deleted.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import replace

from ..errors import SourceError
from ..layers.cache import CacheStore
from ..layers.limits import ReadOptions
from ..model import Image, LayerDigests
from .base import Progress
from .engine_inspect import docker_host, inspect_directly
from .httpbody import dechunk, in_blocks
from .manifests import Located, Selection
from .outer_tar import read_archive
from .platforms import check_image_platform
from .resolve import image_from_cache, resolve

SAVE_CHUNK = 4 << 20


class ChunkStream:
    """A read()-able view of an iterator of byte chunks, filled by a background thread.

    The engine produces `docker save` output at its own pace; receiving it on a thread (socket
    reads release the GIL) lets the layers be indexed while the rest is still arriving, so the
    whole run takes little longer than the export alone. At most `depth` chunks wait in memory.
    """

    _END = object()

    def __init__(self, chunks, depth: int = 8) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._buffer = b""
        self._view = memoryview(b"")
        self._offset = 0
        self._done = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._receive, args=(chunks,), daemon=True)
        self._thread.start()

    def _receive(self, chunks) -> None:
        try:
            for chunk in chunks:
                if self._stopped.is_set():
                    return
                self._queue.put(chunk)
            self._queue.put(self._END)
        except BaseException as error:  # noqa: BLE001 - handed to the reading thread
            self._queue.put(error)

    def _next(self) -> bool:
        item = self._queue.get()
        if item is self._END:
            self._done = True
            return False
        if isinstance(item, BaseException):
            self._done = True
            raise item
        self._buffer, self._offset = item, 0
        self._view = memoryview(item)
        return True

    def readinto(self, view) -> int:
        """Copy up to len(view) bytes straight from the received chunks."""
        filled, wanted = 0, len(view)
        while filled < wanted:
            if self._offset >= len(self._buffer):
                if self._done or not self._next():
                    break
            take = min(wanted - filled, len(self._buffer) - self._offset)
            view[filled:filled + take] = self._view[self._offset:self._offset + take]
            self._offset += take
            filled += take
        return filled

    def read(self, size: int = -1) -> bytes:
        parts = []
        wanted = size if size is not None and size >= 0 else None
        while wanted is None or wanted > 0:
            if self._offset >= len(self._buffer):
                if self._done or not self._next():
                    break
            piece = self._buffer[self._offset:] if wanted is None else (
                self._buffer[self._offset:self._offset + wanted])
            self._offset += len(piece)
            parts.append(piece)
            if wanted is not None:
                wanted -= len(piece)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        """Stop receiving (the reader gave up early) and let the thread end."""
        self._stopped.set()
        while not self._done:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is self._END or isinstance(item, BaseException):
                break


def _sdk_error() -> type[BaseException]:
    """What the docker SDK raises (imported when something was raised: see engine_inspect)."""
    from docker import errors as docker_errors

    return docker_errors.DockerException


def _transport_errors() -> tuple[type[BaseException], ...]:
    """What a dropped connection raises below the docker SDK (which does not wrap them)."""
    import requests
    import urllib3

    return (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError)


def connect():
    """A docker SDK client that has answered a ping."""
    import docker
    from docker import errors as docker_errors

    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except docker_errors.DockerException as error:
        host = docker_host()
        hint = (f"DOCKER_HOST is a socket path: write it as a URL, DOCKER_HOST=unix://{host}"
                if host.startswith("/") else
                "start dockerd, or point DOCKER_HOST at a running engine")
        raise SourceError(f"cannot reach the Docker engine at {host}", hint=hint) from error
    return client


def near_names(client, name: str, most: int = 6) -> str:
    """The engine's tags of the same repository, else the names most like `name`, for the
    hint of a mistyped image ('' when none is near or the engine cannot list them)."""
    import difflib

    from docker import errors as docker_errors

    try:
        tags = sorted({tag for image in client.api.images() for tag in image.get("RepoTags") or ()
                       if tag != "<none>:<none>"})
    except (docker_errors.DockerException, *_transport_errors()):
        return ""
    last = name.rsplit("/", 1)[-1]
    repository = name.rsplit(":", 1)[0] if ":" in last else name
    repositories = sorted({tag.rsplit(":", 1)[0] for tag in tags})
    alike = ({repository} if repository in repositories else
             set(difflib.get_close_matches(repository, repositories, n=3, cutoff=0.6)))
    near = [tag for tag in tags if tag.rsplit(":", 1)[0] in alike]
    shown = ", ".join(near[:most]) + (f" and {len(near) - most} more" if len(near) > most else "")
    return shown


class EngineSource:
    """An image in the local Docker engine (or podman's Docker-compatible socket).

    One object serves one run: it connects and inspects the image once, whether identity(),
    layer_digests() or read() asks first, and read() closes the connection."""

    def __init__(self, name: str, selection: Selection) -> None:
        self.name = name
        """Image name, name:tag, or image ID."""
        self.selection = selection
        """The reference as given, and the platform."""
        self._client = None
        self._record: dict | None = None

    def describe(self) -> str:
        return self.selection.ref

    def client(self):
        """The connection to the engine, made on first use."""
        if self._client is None:
            self._client = connect()
        return self._client

    def close(self) -> None:
        """Close the connection, if one was made."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def inspect(self, client=None) -> dict:
        """The engine's image record (asked for once); a missing image is an error, never a
        pull, and so is an image of another platform than --platform asks for. `client` is
        another source's connection to ask through, when one is open."""
        if self._record is not None:
            return self._record
        record = inspect_directly(self.name) if client is None and self._client is None else None
        if record is None:
            record = self._inspect_through(client or self.client())
        # an engine image has one platform: --platform can only confirm it, never choose
        platform = {"os": record.get("Os"), "architecture": record.get("Architecture"),
                    "variant": record.get("Variant")}
        check_image_platform(self.selection.platform, platform, self.selection.ref)
        self._record = record
        return record

    def _inspect_through(self, client) -> dict:
        """The inspect record asked for through the SDK, whose errors the user is shown."""
        from docker import errors as docker_errors

        try:
            return client.api.inspect_image(self.name)
        except docker_errors.ImageNotFound as error:
            near = near_names(client, self.name)
            raise SourceError(f"image {self.name} is not in the local engine at {docker_host()}",
                              hint=(f"the engine has {near}; " if near else "")
                              + f"build it, or `docker pull {self.name}` first") from error
        except docker_errors.APIError as error:
            raise SourceError(f"the engine refused to inspect {self.name}: "
                              f"{error.explanation}") from error

    def identity(self) -> str:
        return self.inspect()["Id"]

    def layer_digests(self) -> LayerDigests:
        from docker import errors as docker_errors

        try:
            attributes = self.inspect()
            history = self.client().api.history(attributes["Id"])
        except docker_errors.DockerException as error:
            raise SourceError(f"the engine failed to list the history of {self.name}") from error
        finally:
            self.close()
        diff_ids = tuple((attributes.get("RootFS") or {}).get("Layers") or ())
        return LayerDigests(self.selection.ref, diff_ids, len(history))

    def read(self, progress: Progress | None = None, cache: CacheStore | None = None,
             options: ReadOptions | None = None) -> Image:
        return read_engine_images([self], progress, cache, options=options)[0]

    def read_together(self, others: list, progress: Progress | None = None,
                      cache: CacheStore | None = None, labels: list[str] | None = None,
                      options: ReadOptions | None = None) -> list[Image] | None:
        """This image and others through one export, when all of them are engine images."""
        sources = [self, *others]
        if not all(isinstance(source, EngineSource) for source in sources):
            return None
        return read_engine_images(sources, progress, cache, labels, options)


def export_blocks(client, image_ids: list[str]):
    """(response, its body in blocks of megabytes) of `GET /images/get?names=...`, which is
    `docker save A B`: one tar, the layers the images share once.

    The only place that reaches into the docker SDK's and urllib3's private parts, for the
    speed of the export stream (docs/benchmarks.md: engine export 1.12x `docker save`):
    the SDK has no public call that streams /images/get for several images undecoded, and
    urllib3 decodes Docker's 32 KiB chunks one by one, which costs the receiving thread more
    than indexing costs the main one (see httpbody). When the private attributes are absent
    (another SDK or urllib3), urllib3's own stream is used.
    """
    api = client.api
    response = api._get(api._url("/images/get"), params={"names": image_ids}, stream=True)
    api._raise_for_status(response)
    raw = response.raw
    fp = getattr(getattr(raw, "_fp", None), "fp", None)  # http.client's socket file
    if getattr(raw, "chunked", False) and fp is not None and hasattr(fp, "read1"):
        return response, dechunk(fp.read1)
    return response, in_blocks(raw.stream(SAVE_CHUNK, decode_content=False))


def read_engine_images(sources: list[EngineSource], progress: Progress | None = None,
                       cache: CacheStore | None = None, labels: list[str] | None = None,
                       options: ReadOptions | None = None) -> list[Image]:
    """Read several engine images through ONE export, so layers they share stream once.

    `labels` name the sides in errors ("IMAGE_A (x): ...") when there are several. The docker
    SDK is imported only when the records cannot be had without it (see engine_inspect) or the
    export is read.
    """
    names = ", ".join(source.name for source in sources)
    try:
        records = []
        for position, source in enumerate(sources):
            try:
                records.append(source.inspect(sources[0]._client))
            except SourceError as error:
                if labels is None:
                    raise
                raise error.prefixed(f"{labels[position]} ({source.name})") from error
        cached = _from_cache(sources, records, cache)
        if cached is not None:
            return cached
        images = _from_store(sources, records, progress, cache, options)
        pending = [position for position, image in enumerate(images) if image is None]
        if not pending:
            return images
        names = ", ".join(sources[position].name for position in pending)
        if progress:
            progress(f"streaming {names} from the engine")
        response, blocks = export_blocks(
            sources[0].client(), list(dict.fromkeys(records[position]["Id"] for position in pending)))
        stream = ChunkStream(blocks)
        try:
            archive = read_archive(stream, f"the engine's export of {names}", progress, options)
        finally:
            stream.close()
            response.close()
    except _sdk_error() as error:  # evaluated only when something is raised
        raise SourceError(f"the engine failed while exporting {names}: {error}") from error
    except _transport_errors() as error:  # the connection dropped, mid-request or mid-stream
        raise SourceError(f"the engine's export of {names} broke off: {error}",
                          hint="the engine stopped answering (restarted, or the image was "
                               "removed while being read); run again") from error
    finally:
        for source in sources:
            source.close()
    for position in pending:
        source, record = sources[position], records[position]
        image = resolve(archive, replace(source.selection, image_id=record["Id"]), cache, options)
        tags = tuple(record.get("RepoTags") or ()) or image.repo_tags
        images[position] = replace(image, repo_tags=tags)
    return images


def _from_store(sources, records, progress: Progress | None, cache: CacheStore | None,
                options: ReadOptions | None) -> list[Image | None]:
    """Each image indexed from the engine's layer store where it can be (None where not: the
    export reads those), unless the options ask for the export; options.debug hears why not."""
    options = ReadOptions() if options is None else options
    if options.export:
        if options.debug:
            options.debug("reading the engine's export: --export asks for it")
        return [None] * len(sources)
    from ..errors import LayerReadError
    from .engine_store import StoreUnreadable, read_from_store

    images: list[Image | None] = []
    for source, record in zip(sources, records):
        try:
            if progress:
                progress(f"reading {source.name} from the engine's layer store")
            images.append(read_from_store(source.selection, record, cache, options))
        except (StoreUnreadable, LayerReadError) as reason:
            # a layer removed or changed while being read is as good as unreadable: the export
            # either serves the image as it is now or says it is gone
            if options.debug:
                options.debug(f"{source.name}: reading the engine's export instead of its "
                              f"layer store: {reason.message}")
            images.append(None)
    return images


def _from_cache(sources, records, cache: CacheStore | None) -> list[Image] | None:
    """All the images from the cache (config by image ID, layers by diff ID), or None."""
    if cache is None:
        return None
    images = []
    for source, record in zip(sources, records):
        config = cache.config(record["Id"])
        image = None if config is None else image_from_cache(
            replace(source.selection, image_id=record["Id"]),
            Located(config, [], tuple(record.get("RepoTags") or ())), cache)
        if image is None:
            return None
        images.append(image)
    return images
