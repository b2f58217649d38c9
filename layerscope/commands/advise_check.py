"""`advise --check-patch`: the patched Dockerfile built on the engine, and its real saving set
beside the estimate. The built image is removed afterwards (it was only measured).

The builder is picked by the patched text: the engine API's legacy builder when it uses nothing
BuildKit-only, else BuildKit through a docker CLI (docker-py has no BuildKit: the engine's
BuildKit reads the context and streams progress over the CLI's gRPC session, which only the
CLI speaks)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from ..errors import SourceError, UsageError

DEBIAN_CLI = "/usr/bin/docker"
"""Debian's docker.io CLI (20.10): BuildKit built in, where a newer CLI on PATH needs buildx."""


@dataclass(frozen=True)
class PatchCheck:
    """The patched Dockerfile, built and measured."""

    original_size: int
    """The image's size, as Docker counts it."""
    patched_size: int
    """The patched build's size."""
    estimated_saving: int
    """What the patch said it would save."""
    builder: str = "the legacy builder (engine API)"
    """How it was built, and why that builder."""

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


def buildkit_cli() -> tuple[list[str], dict[str, str]]:
    """(command line up to the build's options, extra environment) of a docker CLI that builds
    with BuildKit: one with the buildx plugin (`buildx build --load`), else one older than 23
    (BuildKit built in, DOCKER_BUILDKIT=1). LAYERSCOPE_DOCKER names the CLI to try first."""
    seen = []
    for cli in (os.environ.get("LAYERSCOPE_DOCKER"), shutil.which("docker"), DEBIAN_CLI):
        if not cli or cli in seen or not os.access(cli, os.X_OK):
            continue
        seen.append(cli)
        if _runs([cli, "buildx", "version"]):
            return [cli, "buildx", "build", "--load"], {}
        version = re.search(r"version (\d+)\.", _runs([cli, "--version"]) or "")
        if version and int(version.group(1)) < 23:
            return [cli, "build"], {"DOCKER_BUILDKIT": "1"}
    raise SourceError("the patched Dockerfile needs BuildKit, and no docker CLI here builds with "
                      f"it (tried {', '.join(seen) or 'docker'}: no buildx plugin, version >= 23)",
                      hint="install the docker-buildx plugin, or name a CLI that has it in "
                           "LAYERSCOPE_DOCKER")


def _runs(command: list[str]) -> str | None:
    """command's output, or None when it fails."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _cli_build(command: list[str], environment: dict[str, str], context: str, dockerfile: str,
               args: dict[str, str], network: str | None) -> str:
    """Build with the CLI; the image's ID."""
    iid = dockerfile + ".iid"
    options = ["--progress=plain", "--iidfile", iid, "-f", dockerfile]
    for name, value in args.items():
        options += ["--build-arg", f"{name}={value}"]
    if network:
        options += ["--network", network]
    try:
        done = subprocess.run(command + options + [context], capture_output=True, text=True,
                              env={**os.environ, **environment}, timeout=3600)
        if done.returncode != 0:
            tail = " | ".join(line.strip() for line in done.stderr.splitlines()[-3:])
            raise SourceError(f"the patched Dockerfile did not build with BuildKit: {tail}",
                              hint="the patch must never break the build: report this")
        with open(iid) as stream:
            return stream.read().strip()
    except (OSError, subprocess.SubprocessError) as error:
        raise SourceError(f"building the patched Dockerfile failed: {error}") from error
    finally:
        if os.path.exists(iid):
            os.unlink(iid)


def _api_build(client, context: str, dockerfile: str, args: dict[str, str],
               network: str | None) -> str | None:
    """Build with the engine API's legacy builder; the image's ID."""
    log, image_id = [], None
    for chunk in client.api.build(path=context, dockerfile=os.path.basename(dockerfile),
                                  buildargs=args, network_mode=network, rm=True, forcerm=True,
                                  decode=True):
        if "error" in chunk:
            tail = " | ".join(line.strip() for line in log[-3:] if line.strip())
            raise SourceError(f"the patched Dockerfile did not build: "
                              f"{chunk['error'].strip()} ({tail})",
                              hint="the patch must never break the build: report this")
        log.append(chunk.get("stream", ""))
        image_id = (chunk.get("aux") or {}).get("ID", image_id)
    return image_id


def check_patch(patched_text: str, dockerfile: str, context: str | None, args: dict[str, str],
                network: str | None, original_size: int, estimate: int) -> PatchCheck:
    """Build patched_text with the Dockerfile's directory (or context) as the build context,
    with BuildKit when the text uses a BuildKit-only feature."""
    from docker.errors import DockerException
    from requests import RequestException

    from ..rules.patch.buildkit import features
    from ..sources.engine import connect

    context = context or os.path.dirname(os.path.abspath(dockerfile))
    if not os.path.isdir(context):
        raise UsageError(f"--context {context}: not a directory")
    client = connect()
    needs = features(patched_text)
    cli = buildkit_cli() if needs else None
    handle, path = tempfile.mkstemp(prefix=".layerscope-patched-", suffix=".Dockerfile",
                                    dir=context)
    image_id = None
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(patched_text)
        if cli:
            image_id = _cli_build(*cli, context, path, args, network)
            builder = (f"BuildKit ({' '.join(f'{k}={v}' for k, v in cli[1].items())}"
                       f"{' ' if cli[1] else ''}{' '.join(cli[0])}; the patch uses "
                       f"{', '.join(needs)})")
        else:
            image_id = _api_build(client, context, path, args, network)
            builder = "the legacy builder (engine API; the patch needs no BuildKit)"
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
    return PatchCheck(original_size, patched, estimate, builder)
