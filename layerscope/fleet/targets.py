"""The images a scan is asked for: references given, read from a file, every image of the local
engine, or every repository and tag of a registry; in order, each once."""

from __future__ import annotations

import fnmatch
import sys

from ..errors import UsageError
from . import FleetError


def from_file(path: str) -> list[str]:
    """One reference a line; blank lines and `#` comments skipped; `-` is stdin."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read the target list {path}: {getattr(error, 'strerror', None) or error}",
                         hint="give a file with one image reference a line") from error
    return [line.split("#", 1)[0].strip() for line in text.splitlines()
            if line.split("#", 1)[0].strip()]


def all_local() -> list[str]:
    """Every tagged image of the engine by each tag, untagged ones by ID (as `docker images`
    lists them, intermediate build layers left out)."""
    import docker
    from docker import errors as docker_errors

    try:
        client = docker.from_env()
        try:
            images = client.api.images()
        finally:
            client.close()
    except docker_errors.DockerException as error:
        raise FleetError(f"cannot list the engine's images: {str(error).splitlines()[0]}",
                         hint="is DOCKER_HOST set and the engine running?") from error
    refs = []
    for record in images:
        tags = [t for t in record.get("RepoTags") or () if t != "<none>:<none>"]
        refs.extend(sorted(tags) if tags else [record["Id"]])
    return sorted(refs)


def from_registry(url: str, tags: str, access) -> list[str]:
    """docker://HOST[/PREFIX]: each repository of the catalog under PREFIX, each of its tags
    matching the glob `tags`, as docker://HOST/REPO:TAG."""
    from ..sources.registry_http import Http

    if not url.startswith("docker://"):
        raise UsageError(f"--registry wants docker://HOST[/PREFIX], not {url!r}")
    host, _, prefix = url[len("docker://"):].partition("/")
    prefix = prefix.strip("/")
    http = Http(host, access)
    try:
        http.probe()
        repos = [r for r in _pages(http, "/v2/_catalog?n=1000", "repositories")
                 if not prefix or r == prefix or r.startswith(prefix + "/")]
        refs = []
        for repo in sorted(repos):
            names = _pages(http, f"/v2/{repo}/tags/list?n=1000", "tags")
            refs.extend(f"docker://{host}/{repo}:{t}" for t in sorted(names)
                        if fnmatch.fnmatchcase(t, tags))
        return refs
    finally:
        http.close()


def _pages(http, path: str, key: str) -> list[str]:
    """A paginated registry list, following its Link headers."""
    items: list[str] = []
    while path:
        response = http.get(path)
        if response.status_code != 200:
            raise FleetError(f"registry {http.host} answered {response.status_code} to {path}",
                             hint="the catalog API may be disabled or need credentials (--creds)")
        try:
            items.extend((response.json() or {}).get(key) or ())
        except ValueError as error:
            raise FleetError(f"registry {http.host} sent no JSON for {path}") from error
        link = response.headers.get("Link", "")
        path = link[link.find("<") + 1: link.find(">")] if "rel=\"next\"" in link else ""
    return items


def unique(refs: list[str]) -> tuple[str, ...]:
    """In order, each once."""
    return tuple(dict.fromkeys(refs))
