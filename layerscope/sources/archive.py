"""docker-archive: and oci-archive: transports, both read by the shared stream reader."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SourceError
from ..model import Image
from .base import Progress
from .resolve import Selection, resolve
from .stream import read_archive


@dataclass(frozen=True)
class ArchiveFileSource:
    """A `docker save` archive (either layout) or an OCI archive, read from a file."""

    path: str
    """The archive file."""
    selection: Selection
    """The tag and platform to select inside it."""

    def describe(self) -> str:
        return self.selection.ref

    def read(self, progress: Progress | None = None) -> Image:
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError as error:
            raise SourceError(f"no such archive: {self.path}") from error
        except IsADirectoryError as error:
            raise SourceError(f"{self.path} is a directory, not an archive",
                              hint="for an OCI layout directory use oci:DIR") from error
        except OSError as error:
            raise SourceError(f"cannot open {self.path}: {error.strerror}") from error
        with handle:
            archive = read_archive(handle, self.path, progress)
        return resolve(archive, self.selection)
