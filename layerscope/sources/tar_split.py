"""A layer's tar rebuilt, byte for byte, from its tar-split and its unpacked files.

containers/storage (and the Docker engine) keep, beside each layer's files, a tar-split: gzip'd
JSON lines that hold every byte of the layer's tar that is not file content (type 2, "payload"
base64), and for each member with content its name and size (type 1). Writing the segments and,
in their place, each member's bytes read from the layer's directory gives back the tar the layer
was made from, whose sha256 is its diff ID: what `podman save` sends. This is how layers of a
store without overlay diff directories (the vfs driver, whose directories hold the whole tree up
to the layer) are read, and how --verify checks an overlay layer's digest.

Files are opened below the layer directory only, never through a symlink (O_NOFOLLOW on the
file, and its real path must stay below the directory).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import zlib

from ..errors import LayerReadError

SEGMENT, FILE = 2, 1
"""tar-split's entry types: raw tar bytes, and a member's content by name and size."""
CHUNK = 1 << 20


class TarSplitStream:
    """A read()-able stream of the rebuilt tar (the layer reader reads it as it would a blob)."""

    def __init__(self, tar_split: str, directory: str) -> None:
        self._lines = _entries(tar_split)
        self._root = os.path.realpath(directory)
        self._piece = b""  # the piece being handed out, and how much of it has been
        self._offset = 0
        self._file = None  # (handle, bytes still to read, name)
        self._parents: dict[str, str] = {}

    def read(self, size: int = -1) -> bytes:
        # pieces are sliced, never shifted: a read costs what it returns
        need = size if size >= 0 else 1 << 62
        out = []
        while need > 0:
            if self._offset < len(self._piece):
                piece = self._piece[self._offset:self._offset + need]
                self._offset += len(piece)
                need -= len(piece)
                out.append(piece)
            elif not self._next(need):
                break
        return out[0] if len(out) == 1 else b"".join(out)

    def _next(self, wanted: int) -> bool:
        """Make the next piece of the tar current; False at its end."""
        self._offset = 0
        if self._file is not None:
            handle, left, name = self._file
            self._piece = handle.read(min(left, max(wanted, CHUNK)))
            if not self._piece:
                handle.close()
                raise LayerReadError(f"{name} in {self._root} is shorter than the layer's tar "
                                     "says: the layer changed while it was read")
            left -= len(self._piece)
            if left == 0:
                handle.close()
                self._file = None
            else:
                self._file = (handle, left, name)
            return True
        entry = next(self._lines, None)
        if entry is None:
            self._piece = b""
            return False
        kind = entry.get("type")
        self._piece = b""
        if kind == SEGMENT:
            self._piece = base64.b64decode(entry.get("payload") or "")
        elif kind == FILE and int(entry.get("size") or 0) > 0:
            name = _name(entry)
            self._file = (self._open(name), int(entry["size"]), name)
        return True

    def _open(self, name: str):
        path = os.path.join(self._root, name.lstrip("/"))
        parent = os.path.dirname(path)
        real = self._parents.get(parent)
        if real is None:  # resolved once a directory: a layer's files share few of them
            real = self._parents[parent] = os.path.realpath(parent)
        if real != self._root and not real.startswith(self._root + os.sep):
            raise LayerReadError(f"{name} leads outside the layer directory {self._root}")
        try:
            descriptor = os.open(os.path.join(real, os.path.basename(path)),
                                 os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as error:
            raise LayerReadError(f"cannot read {name} in the layer directory {self._root}: "
                                 f"{error.strerror}") from error
        return os.fdopen(descriptor, "rb")

    def close(self) -> None:
        if self._file is not None:
            self._file[0].close()
            self._file = None


def _name(entry: dict) -> str:
    raw = entry.get("name_raw")  # a name that is not UTF-8, as newer tar-split keeps it
    return os.fsdecode(base64.b64decode(raw)) if raw else str(entry.get("name") or "")


def _entries(tar_split: str):
    try:
        with gzip.open(tar_split, "rb") as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)
    except (OSError, EOFError, ValueError, zlib.error) as error:
        raise LayerReadError(f"the tar-split {tar_split} cannot be read: {error}") from error
