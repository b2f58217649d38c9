"""A fleet from a readable description: a few bases, images on them with their own files and
the waste patterns platform teams see (apt lists removed in a later step, a cache copied then
deleted, a chmod duplicate), written as docker-archive files; the expected figures are derived
from the description here, by hand-checked arithmetic, never from the program."""

from __future__ import annotations

from dataclasses import dataclass

from tests.imagebuilder import ImageSpec, Step, directory, file, whiteout, write_docker_archive


def blob(seed: str, size: int) -> bytes:
    """`size` bytes that differ per seed (so contents hash apart)."""
    unit = (seed + ":").encode()
    return (unit * (size // len(unit) + 1))[:size]


@dataclass(frozen=True)
class Base:
    """A base image: one layer of files, closed by CMD (the heuristic's boundary)."""

    name: str
    files: tuple[tuple[str, int], ...]   # (path, size)

    @property
    def size(self) -> int:
        return sum(s for _, s in self.files)

    def steps(self) -> tuple[Step, ...]:
        entries = (directory("/bin"), directory("/etc"),
                   *(file(p, blob(self.name + p, s)) for p, s in self.files))
        return (Step(f"/bin/sh -c #(nop) ADD file:{self.name} in / ", entries),
                Step('/bin/sh -c #(nop)  CMD ["sh"]', None))


@dataclass(frozen=True)
class App:
    """An image on a base: its own file, and optionally apt lists written then removed."""

    name: str
    base: Base
    own: int                    # bytes of /app/<name>
    apt_lists: int = 0          # bytes of each of two files in /var/lib/apt/lists, removed later
    shared_blob: int = 0        # bytes of /opt/shared.bin, the same content in every app with it
    extra_files: int = 0        # files of 16 B each under /app/lib (work for the indexer)

    @property
    def tag(self) -> str:
        return f"fleet/{self.name}:1"

    @property
    def size(self) -> int:
        return self.base.size + self.own + 2 * self.apt_lists + self.shared_blob + 16 * self.extra_files

    @property
    def wasted(self) -> int:
        return 2 * self.apt_lists

    def steps(self) -> tuple[Step, ...]:
        steps = list(self.base.steps())
        own = [directory("/app"), file(f"/app/{self.name}", blob(self.name, self.own))]
        if self.shared_blob:
            own += [directory("/opt"), file("/opt/shared.bin", blob("shared", self.shared_blob))]
        if self.extra_files:
            own += [directory("/app/lib"), *(file(f"/app/lib/f{n}", f"{self.name}:{n:09d}"[-16:].rjust(16))
                                               for n in range(self.extra_files))]
        steps.append(Step(f"/bin/sh -c #(nop) COPY {self.name} /app", tuple(own)))
        if self.apt_lists:
            lists = "/var/lib/apt/lists"
            steps.append(Step("/bin/sh -c apt-get update", (
                directory("/var"), directory("/var/lib"), directory("/var/lib/apt"), directory(lists),
                file(f"{lists}/main_{self.name}", blob("lists1" + self.name, self.apt_lists)),
                file(f"{lists}/security_{self.name}", blob("lists2" + self.name, self.apt_lists)))))
            steps.append(Step("/bin/sh -c rm -rf /var/lib/apt/lists/*", (
                whiteout(f"{lists}/main_{self.name}"), whiteout(f"{lists}/security_{self.name}"))))
        return tuple(steps)

    def write(self, directory_path) -> str:
        path = directory_path / f"{self.name}.tar"
        write_docker_archive(ImageSpec(self.steps(), repo_tag=self.tag), path)
        return f"docker-archive:{path}"
