"""docker-daemon: transport, the local Docker engine through the docker SDK.

The engine's `docker save` stream is fed straight into the shared archive reader: one pass, no
temporary file. Nothing is ever pulled, tagged or deleted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import SourceError
from ..model import Image, LayerDigests
from .base import Progress
from .resolve import Selection, resolve
from .stream import read_archive

SAVE_CHUNK = 4 << 20


class ChunkStream:
    """A read()-able view of an iterator of byte chunks."""

    def __init__(self, chunks) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()
        self._done = False

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                self._done = True
        if size < 0:
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


def docker_host() -> str:
    """The engine address the SDK will try, for messages."""
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class EngineSource:
    """An image in the local Docker engine (or podman's Docker-compatible socket)."""

    name: str
    """Image name, name:tag, or image ID."""
    selection: Selection
    """The reference as given, and the platform."""

    def describe(self) -> str:
        return self.selection.ref

    def _connect_and_inspect(self):
        import docker
        from docker import errors as docker_errors

        host = docker_host()
        try:
            client = docker.from_env(timeout=600)
            client.ping()
        except docker_errors.DockerException as error:
            raise SourceError(f"cannot reach the Docker engine at {host}",
                              hint="start dockerd, or point DOCKER_HOST at a running engine") from error
        try:
            return client, client.api.inspect_image(self.name)
        except docker_errors.ImageNotFound as error:
            client.close()
            raise SourceError(f"image {self.name} is not in the local engine at {host}",
                              hint=f"build it, or `docker pull {self.name}` first") from error
        except docker_errors.APIError as error:
            client.close()
            raise SourceError(f"the engine refused to inspect {self.name}: {error.explanation}") from error

    def layer_digests(self) -> LayerDigests:
        from docker import errors as docker_errors

        client, attributes = self._connect_and_inspect()
        try:
            history = client.api.history(attributes["Id"])
        except docker_errors.DockerException as error:
            raise SourceError(f"the engine failed to list the history of {self.name}") from error
        finally:
            client.close()
        diff_ids = tuple((attributes.get("RootFS") or {}).get("Layers") or ())
        return LayerDigests(self.selection.ref, diff_ids, len(history))

    def read(self, progress: Progress | None = None) -> Image:
        from docker import errors as docker_errors

        client, attributes = self._connect_and_inspect()
        if progress:
            progress(f"streaming {self.name} from the engine")
        try:
            chunks = client.api.get_image(attributes["Id"], chunk_size=SAVE_CHUNK)
            archive = read_archive(ChunkStream(chunks), f"the engine's export of {self.name}",
                                   progress)
        except docker_errors.DockerException as error:
            raise SourceError(f"the engine failed while exporting {self.name}: {error}") from error
        finally:
            client.close()
        image = resolve(archive, self.selection)
        tags = tuple(attributes.get("RepoTags") or ()) or image.repo_tags
        return Image(image.ref, image.image_id, tags, image.architecture, image.os,
                     image.history, image.layers)
