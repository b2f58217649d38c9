"""The framing of every file layerscope keeps in its cache (layer indexes, finished reports,
replayable outputs): a header naming the kind of file, its format number and the Python that
wrote it, and a checksum of the body. A file of another kind, format or Python, or a damaged
one, reads as missing, and the run rebuilds it.

Light on purpose: a replayed run (layerscope.replay) reads its stored output through this
module before anything else is imported.
"""

from __future__ import annotations

import struct
import sys

import xxhash

HEADER = struct.Struct("<4sHHQ")
"""magic, format number, Python minor version, xxh3-64 of the body. The Python version is there
because marshal's and pickle's bytes are not promised to read back under another one."""


def frame(magic: bytes, version: int, body: bytes) -> bytes:
    """The bytes of a cache file holding `body`, for the kind `magic` at format `version`."""
    return HEADER.pack(magic, version, sys.version_info.minor, xxhash.xxh3_64_intdigest(body)) + body


def unframe(magic: bytes, version: int, data: bytes) -> bytes | None:
    """The body of a cache file, or None when it is not an intact file of this kind and format
    written by this Python."""
    if len(data) < HEADER.size:
        return None
    found_magic, found_version, python, checksum = HEADER.unpack_from(data)
    if (found_magic, found_version, python) != (magic, version, sys.version_info.minor):
        return None
    body = data[HEADER.size:]
    return body if xxhash.xxh3_64_intdigest(body) == checksum else None
