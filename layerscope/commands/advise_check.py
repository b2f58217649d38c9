"""`advise --check-patch`: the patched Dockerfile built on the engine, and its real saving set
beside the estimate. The built image is removed afterwards (it was only measured)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from ..errors import SourceError, UsageError


@dataclass(frozen=True)
class PatchCheck:
    """The patched Dockerfile, built and measured."""

    original_size: int
    """The image's size, as Docker counts it."""
    patched_size: int
    """The patched build's size."""
    estimated_saving: int
    """What the patch said it would save."""

    @property
    def real_saving(self) -> int:
        return self.original_size - self.patched_size


def build_args(values: tuple[str, ...]) -> dict[str, str]:
    """--build-arg NAME=VALUE values (NAME alone: its value from the environment, as docker)."""
    args = {}
    for value in values:
        name, equals, given = value.partition("=")
        if not name:
            raise UsageError(f"--build-arg {value}: expected NAME=VALUE")
        args[name] = given if equals else os.environ.get(name, "")
    return args


def check_patch(patched_text: str, dockerfile: str, context: str | None, args: dict[str, str],
                network: str | None, original_size: int, estimate: int) -> PatchCheck:
    """Build patched_text with the Dockerfile's directory (or context) as the build context."""
    from docker.errors import DockerException
    from requests import RequestException

    from ..sources.engine import connect

    context = context or os.path.dirname(os.path.abspath(dockerfile))
    if not os.path.isdir(context):
        raise UsageError(f"--context {context}: not a directory")
    client = connect()
    handle, path = tempfile.mkstemp(prefix=".layerscope-patched-", suffix=".Dockerfile",
                                    dir=context)
    image_id = None
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(patched_text)
        log = []
        for chunk in client.api.build(path=context, dockerfile=os.path.basename(path),
                                      buildargs=args, network_mode=network, rm=True,
                                      forcerm=True, decode=True):
            if "error" in chunk:
                tail = " | ".join(line.strip() for line in log[-3:] if line.strip())
                raise SourceError(f"the patched Dockerfile did not build: "
                                  f"{chunk['error'].strip()} ({tail})",
                                  hint="the patch must never break the build: report this")
            log.append(chunk.get("stream", ""))
            image_id = (chunk.get("aux") or {}).get("ID", image_id)
        if image_id is None:
            raise SourceError("the engine built the patched Dockerfile but named no image")
        built = client.images.get(image_id).attrs
        patched = built["Size"]
        if built.get("RepoTags"):
            image_id = None  # a cache hit on an image someone tagged: theirs, not ours to remove
    except (DockerException, RequestException, OSError) as error:
        raise SourceError(f"building the patched Dockerfile failed: {error}") from error
    finally:
        os.unlink(path)
        if image_id is not None:
            try:
                client.images.remove(image_id, noprune=False)
            except DockerException:
                pass  # in use by a container someone started meanwhile: it stays, unharmed
    return PatchCheck(original_size, patched, estimate)
