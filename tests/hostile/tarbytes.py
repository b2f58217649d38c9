"""Raw tar bytes for hostile inputs: headers written by hand, so any field can lie."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import zstandard

BLOCK = 512
END = bytes(1024)


def _octal(value: int, width: int) -> bytes:
    return f"{value:0{width - 1}o}".encode() + b"\0"


def header(name: bytes | str, *, size: int = 0, type_flag: bytes = b"0", link: bytes | str = b"",
           mode: int = 0o644, size_field: bytes | None = None, prefix: bytes = b"",
           uid_field: bytes | None = None, extra: dict[int, bytes] | None = None) -> bytes:
    """One ustar header block; `size_field` (12 bytes) overrides the encoded size."""
    name = name.encode() if isinstance(name, str) else name
    link = link.encode() if isinstance(link, str) else link
    block = bytearray(BLOCK)
    block[0:len(name[:100])] = name[:100]
    block[100:108] = _octal(mode, 8)
    block[108:116] = uid_field or _octal(0, 8)
    block[116:124] = _octal(0, 8)
    block[124:136] = size_field if size_field is not None else _octal(size, 12)
    block[136:148] = _octal(0, 12)
    block[156:157] = type_flag
    block[157:157 + len(link[:100])] = link[:100]
    block[257:265] = b"ustar\x0000"
    block[345:345 + len(prefix)] = prefix
    for offset, value in (extra or {}).items():
        block[offset:offset + len(value)] = value
    block[148:156] = b" " * 8
    block[148:156] = f"{sum(block):06o}".encode() + b"\0 "
    return bytes(block)


def padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % BLOCK)


def member(name: bytes | str, content: bytes = b"", **fields) -> bytes:
    """A regular-file member (or any type via type_flag) with its padded content."""
    return header(name, size=len(content), **fields) + padded(content)


def pax(records: dict[str, str | bytes]) -> bytes:
    """A PAX extended header ('x') applying to the next member."""
    body = b""
    for key, value in records.items():
        value = value.encode() if isinstance(value, str) else value
        item = b" " + key.encode() + b"=" + value + b"\n"
        length = len(item) + 1
        while len(str(length).encode()) + len(item) != length:
            length += 1
        body += str(length).encode() + item
    return header(b"././@PaxHeader", size=len(body), type_flag=b"x") + padded(body)


def gnu_long_name(name: bytes | str) -> bytes:
    name = (name.encode() if isinstance(name, str) else name) + b"\0"
    return header(b"././@LongLink", size=len(name), type_flag=b"L") + padded(name)


def layer(*members: bytes, end: bool = True) -> bytes:
    return b"".join(members) + (END if end else b"")


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def compress(data: bytes, codec: str) -> bytes:
    if codec == "gzip":
        return gzip.compress(data, mtime=0)
    if codec == "zstd":
        return zstandard.ZstdCompressor(level=3).compress(data)
    return data


def config_for(layers: list[bytes], history: list[dict] | None = None, **changes) -> dict:
    """An image config whose diff_ids are the digests of the uncompressed `layers`."""
    if history is None:
        history = [{"created_by": f"RUN step {i}"} for i in range(len(layers))]
    config = {"architecture": "amd64", "os": "linux", "config": {},
              "rootfs": {"type": "layers", "diff_ids": [sha(raw) for raw in layers]},
              "history": history}
    config.update(changes)
    return config


def tar_of(files: dict[str, bytes], *, symlinks: dict[str, str] | None = None) -> bytes:
    """An outer archive (as tarfile writes it) of name -> bytes, plus symlink members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


def docker_archive(layers: list[bytes], *, blobs: list[bytes] | None = None,
                   config: dict | bytes | None = None, manifest=None,
                   extra: dict[str, bytes] | None = None) -> bytes:
    """A legacy `docker save` archive; `blobs` (compressed forms) replace the layer bytes."""
    blobs = layers if blobs is None else blobs
    config_bytes = config if isinstance(config, bytes) else json.dumps(
        config if config is not None else config_for(layers)).encode()
    names = [f"layer{i}/layer.tar" for i in range(len(blobs))]
    if manifest is None:
        manifest = [{"Config": "config.json", "RepoTags": ["hostile:latest"], "Layers": names}]
    files = {"manifest.json": manifest if isinstance(manifest, bytes) else json.dumps(
        manifest).encode(), "config.json": config_bytes}
    files.update(zip(names, blobs))
    files.update(extra or {})
    return tar_of(files)


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)
