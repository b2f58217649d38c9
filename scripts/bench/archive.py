"""Writing `docker save` archives by hand, streaming: ustar headers (paths are kept short enough
for ustar), deterministic contents, the legacy layout (manifest.json, <id>/layer.tar,
<config>.json), with no engine involved."""

import hashlib
import json
import os
import random
from pathlib import Path

from . import say

MTIME = 1_700_000_000           # every generated entry's mtime: archives are byte-reproducible

def _octal(value: int, width: int) -> bytes:
    return b"%0*o\0" % (width - 1, value)


_TEMPLATE = bytearray(512)
_TEMPLATE[108:116] = _octal(0, 8)                 # uid
_TEMPLATE[116:124] = _octal(0, 8)                 # gid
_TEMPLATE[136:148] = _octal(MTIME, 12)            # mtime
_TEMPLATE[257:265] = b"ustar\x0000"               # magic + version
_TEMPLATE[265:269] = b"root"                      # uname
_TEMPLATE[297:301] = b"root"                      # gname
_TEMPLATE[329:337] = _octal(0, 8)                 # devmajor
_TEMPLATE[337:345] = _octal(0, 8)                 # devminor
ZEROS = bytes(1 << 16)


def tar_header(name: str, size: int = 0, mode: int = 0o644, kind: bytes = b"0") -> bytes:
    raw = name.encode()
    header = bytearray(_TEMPLATE)
    if len(raw) > 100:
        cut = raw.rfind(b"/", 0, 156)
        prefix, raw = raw[:cut], raw[cut + 1:]
        if len(raw) > 100 or len(prefix) > 155:
            raise ValueError(f"path too long for ustar: {name}")
        header[345:345 + len(prefix)] = prefix
    header[0:len(raw)] = raw
    header[100:108] = _octal(mode, 8)
    header[124:136] = _octal(size, 12)
    header[156:157] = kind
    header[148:156] = b"        "
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def _pad(size: int) -> int:
    return -size % 512


class Content:
    """Cheap, deterministic file contents: slices of one seeded random pool (doubled, so any
    slice up to the pool's size starting anywhere in the pool is contiguous)."""

    POOL = 1 << 22

    def __init__(self, seed: int) -> None:
        block = random.Random(seed).randbytes(self.POOL)
        self._view = memoryview(block + block)

    def chunks(self, offset: int, size: int):
        offset %= self.POOL
        while size > 0:
            step = min(size, self.POOL)
            yield self._view[offset:offset + step]
            size -= step


class LayerWriter:
    """One layer.tar, written straight into the outer archive. The outer header is written with
    size 0 first and rewritten once the layer is complete; the layer's sha256 (its diff ID) is
    computed on the way."""

    def __init__(self, out, member: str, content: Content) -> None:
        self._out = out
        self._member = member
        self._content = content
        self._start = out.tell()
        out.write(tar_header(member, 0))
        self._sha = hashlib.sha256()
        self._size = 0
        self._dirs: set[str] = set()

    def _write(self, data) -> None:
        self._out.write(data)
        self._sha.update(data)
        self._size += len(data)

    def _parents(self, path: str) -> None:
        cut = path.rfind("/")
        if cut < 0:
            return
        parent = path[:cut]
        if parent in self._dirs:
            return
        self._parents(parent)
        self._dirs.add(parent)
        self._write(tar_header(parent + "/", 0, 0o755, b"5"))

    def directory(self, path: str) -> None:
        self._parents(path + "/x")

    def file(self, path: str, size: int, offset: int, mode: int = 0o644) -> None:
        self._parents(path)
        self._write(tar_header(path, size, mode))
        for chunk in self._content.chunks(offset, size):
            self._write(chunk)
        pad = _pad(size)
        if pad:
            self._write(ZEROS[:pad])

    def whiteout(self, path: str) -> None:
        cut = path.rfind("/")
        self.file(f"{path[:cut + 1]}.wh.{path[cut + 1:]}", 0, 0)

    def opaque(self, directory: str) -> None:
        self.directory(directory)
        self.file(f"{directory}/.wh..wh..opq", 0, 0)

    def close(self) -> str:
        self._write(ZEROS[:1024])
        end = self._out.tell()
        self._out.seek(self._start)
        self._out.write(tar_header(self._member, self._size))
        self._out.seek(end)
        pad = _pad(self._size)
        if pad:
            self._out.write(ZEROS[:pad])
        return "sha256:" + self._sha.hexdigest()


def write_archive(path: Path, tag: str, layers, seed: int) -> None:
    """layers: an iterable of (created_by, callable(LayerWriter)). Writes the legacy
    `docker save` layout: <id>/{VERSION,json,layer.tar}, <config>.json, manifest.json,
    repositories."""
    content = Content(seed)
    diff_ids, layer_ids, history = [], [], []
    parent = ""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb", buffering=1 << 20) as out:
        for index, (created_by, fill) in enumerate(layers):
            # Legacy layer IDs only need to be unique and stable; derive them from the position
            # (the diff ID is not known before the layer is written).
            layer_id = hashlib.sha256(f"{tag} {seed} {index} {parent}".encode()).hexdigest()
            out.write(tar_header(f"{layer_id}/", 0, 0o755, b"5"))
            for name, data in (("VERSION", b"1.0"),
                               ("json", json.dumps({"id": layer_id, "parent": parent or None,
                                                    "created": "2023-11-14T22:13:20Z"}).encode())):
                out.write(tar_header(f"{layer_id}/{name}", len(data)))
                out.write(data + ZEROS[:_pad(len(data))])
            writer = LayerWriter(out, f"{layer_id}/layer.tar", content)
            fill(writer)
            diff_ids.append(writer.close())
            layer_ids.append(layer_id)
            history.append({"created": "2023-11-14T22:13:20Z", "created_by": created_by})
            parent = layer_id
            say(f"  {path.name}: layer {index + 1} written ({out.tell() / 1e9:.2f} GB so far)")
        history.append({"created": "2023-11-14T22:13:20Z",
                        "created_by": '/bin/sh -c #(nop)  CMD ["sh"]', "empty_layer": True})
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
            "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                              "/usr/bin:/sbin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }, separators=(",", ":")).encode()
        config_name = hashlib.sha256(config).hexdigest() + ".json"
        repo, _, version = tag.partition(":")
        manifest = json.dumps([{"Config": config_name, "RepoTags": [tag],
                                "Layers": [f"{i}/layer.tar" for i in layer_ids]}]).encode()
        repositories = json.dumps({repo: {version: layer_ids[-1]}}).encode()
        for name, data in ((config_name, config), ("manifest.json", manifest),
                           ("repositories", repositories)):
            out.write(tar_header(name, len(data)))
            out.write(data + ZEROS[:_pad(len(data))])
        out.write(ZEROS[:1024])
    os.replace(tmp, path)
