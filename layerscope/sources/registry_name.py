"""docker:// references: parsed, checked and normalised as Docker normalises image names
(imported by sources.reference, so as light as it is)."""

from __future__ import annotations

import re

from ..errors import UsageError

HUB = "registry-1.docker.io"
"""Where Docker Hub's Registry API answers (a reference names it docker.io, or not at all)."""
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}")
_HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?")


class RegistryName:
    """A docker:// reference, normalised as Docker does (a plain class: dataclasses would cost
    a replayed run more to import than it takes)."""

    __slots__ = ("digest", "host", "repository", "tag")

    def __init__(self, host: str, repository: str, tag: str | None, digest: str | None) -> None:
        self.host = host
        """The registry's host[:port] as spoken to (Docker Hub: registry-1.docker.io)."""
        self.repository = repository
        """The repository path (Docker Hub's official images under library/)."""
        self.tag = tag
        """The tag; "latest" when neither a tag nor a digest was given."""
        self.digest = digest
        """The manifest digest (@sha256:...), which wins over the tag."""

    @property
    def reference(self) -> str:
        """What the manifest is fetched by: the digest, else the tag."""
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.host}/{self.repository}{tag}{digest}"


def parse_registry(reference: str) -> RegistryName:
    """docker://[HOST[:PORT]/]REPO[:TAG][@DIGEST], normalised as Docker normalises names: no
    host (a first component without '.' or ':' that is not localhost) is Docker Hub, and a
    one-component Hub name is under library/."""
    name = reference.removeprefix("docker://")
    bad = f"{reference} is not a registry reference"
    hint = "write docker://[HOST[:PORT]/]REPOSITORY[:TAG|@sha256:DIGEST]"
    name, _, digest = name.partition("@")
    if digest and not _DIGEST.fullmatch(digest):
        raise UsageError(f"{bad}: {digest!r} is not a sha256 or sha512 digest", hint=hint)
    head, slash, rest = name.partition("/")
    if slash and ("." in head or ":" in head or head == "localhost"):
        if not _HOST.fullmatch(head):
            raise UsageError(f"{bad}: {head!r} is not a host name", hint=hint)
        host = head
    else:
        host, rest = HUB, name
    repository, _, tag = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if host in ("docker.io", "index.docker.io"):
        host = HUB
    if host == HUB and "/" not in repository:
        repository = f"library/{repository}"
    if not _REPOSITORY.fullmatch(repository):
        raise UsageError(f"{bad}: {repository!r} is not a repository name (lower case letters, "
                         "digits and separators)", hint=hint)
    if tag and not _TAG.fullmatch(tag):
        raise UsageError(f"{bad}: {tag!r} is not a tag", hint=hint)
    return RegistryName(host, repository, tag or (None if digest else "latest"), digest or None)
