"""docker:// references, normalised as Docker normalises image names (containers-transports(5))."""

import pytest

from layerscope.errors import UsageError
from layerscope.sources.engine import EngineSource
from layerscope.sources.reference import open_source
from layerscope.sources.registry_name import parse_registry

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("reference", "host", "repository", "tag", "digest"),
    [
        # Docker Hub: no host, docker.io or index.docker.io; official images under library/
        ("docker://alpine", "registry-1.docker.io", "library/alpine", "latest", None),
        ("docker://alpine:3.19", "registry-1.docker.io", "library/alpine", "3.19", None),
        ("docker://docker.io/alpine", "registry-1.docker.io", "library/alpine", "latest", None),
        ("docker://index.docker.io/user/app:v1", "registry-1.docker.io", "user/app", "v1", None),
        ("docker://user/app", "registry-1.docker.io", "user/app", "latest", None),
        # a first component with '.' or ':' or named localhost is a host
        ("docker://127.0.0.1:5000/size:v1", "127.0.0.1:5000", "size", "v1", None),
        ("docker://localhost/a/b/c", "localhost", "a/b/c", "latest", None),
        ("docker://ghcr.io/org/tool:1.0-rc.1", "ghcr.io", "org/tool", "1.0-rc.1", None),
        ("docker://[::1]:5000/x", "[::1]:5000", "x", "latest", None),
        # a digest wins; with no tag there is no "latest"
        (f"docker://localhost:5000/x@{DIGEST}", "localhost:5000", "x", None, DIGEST),
        (f"docker://localhost:5000/x:v2@{DIGEST}", "localhost:5000", "x", "v2", DIGEST),
    ],
)
def test_normalised_as_docker_does(reference, host, repository, tag, digest):
    name = parse_registry(reference)
    assert (name.host, name.repository, name.tag, name.digest) == (host, repository, tag, digest)
    assert name.reference == (digest or tag)


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("docker://Alpine", "'library/Alpine' is not a repository name"),
        ("docker://localhost:5000/x@sha256:12", "'sha256:12' is not a sha256 or sha512 digest"),
        ("docker://localhost:5000/x:-bad", "'-bad' is not a tag"),
        ("docker://bad_host.io:x/y", "'bad_host.io:x' is not a host name"),
        ("docker://", "'library/' is not a repository name"),
    ],
)
def test_malformed_references_are_usage_errors(reference, problem):
    with pytest.raises(UsageError) as raised:
        parse_registry(reference)
    assert raised.value.message == f"{reference} is not a registry reference: " + problem + (
        " (lower case letters, digits and separators)" if "repository" in problem else "")


@pytest.mark.parametrize("reference", ["docker:latest", "docker-daemon:docker:latest"])
def test_docker_without_slashes_and_docker_daemon_stay_engine_images(reference):
    assert isinstance(open_source(reference), EngineSource)
