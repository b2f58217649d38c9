"""Layer blobs with a table of contents, made from a layer tar the way their specifications say,
and a blob reader by ranges that counts what it was asked for.

`to_estargz` follows stargz-snapshotter's docs/estargz.md: a gzip member per non-empty regular
file's content (per chunk of a large one), the tar headers between them in members of their
own, the no-prefetch landmark first, the TOC as the last tar member `stargz.index.json`, and
the 51-byte footer. `to_zstd_chunked` follows containers/storage's zstd:chunked format: a zstd
frame per non-empty regular file (per chunk), the headers between them in frames of their own,
then the manifest in a skippable frame and the footer, with the descriptor annotations skopeo
writes. Member bytes are copied as they are, so a zstd:chunked blob decompresses to the very
tar it was made from (the same diff ID) and an eStargz one to that tar's members plus the
landmark and the TOC.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import tarfile
import zlib
from pathlib import Path

import zstandard

LANDMARK = ".no.prefetch.landmark"
TOC_DIGEST = "containerd.io/snapshot/stargz/toc.digest"
SKIPPABLE_MAGIC = 0x184D2A50
FOOTER_MAGIC = b"GNUlInUx"
TYPES = {tarfile.REGTYPE: "reg", tarfile.AREGTYPE: "reg", tarfile.CONTTYPE: "reg",
         tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink",
         tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block", tarfile.FIFOTYPE: "fifo"}


class Unsupported(ValueError):
    """A tar member neither TOC format can describe (sparse files, unknown types)."""


class BlobRanges:
    """sources.base.RangeReader over bytes in memory, counting requests and bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.size = len(data)
        self.fetched = 0
        self.requests = 0

    def read_range(self, offset: int, length: int) -> bytes:
        assert 0 <= offset and offset + length <= self.size, (offset, length, self.size)
        self.fetched += length
        self.requests += 1
        return self._bytes(offset, length)

    def _bytes(self, offset: int, length: int) -> bytes:
        return self._data[offset:offset + length]


def _go_text(name: str) -> str:
    # Go's encoding/json writes bytes that are not UTF-8 as U+FFFD
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _members(tar: bytes):
    """(TarInfo, raw header bytes with extensions, content, raw bytes after the content up to
    the next member) of each member, and the bytes after the last member."""
    with tarfile.open(fileobj=io.BytesIO(tar), mode="r:", encoding="utf-8",
                      errors="surrogateescape") as archive:
        infos = archive.getmembers()
        end = archive.offset
    found = []
    for position, info in enumerate(infos):
        if info.type not in TYPES or info.issparse():
            # a Go writer's TOC describes a sparse file as its expanded content, which tarfile
            # does not give: neither it nor an unknown type is written here
            raise Unsupported(f"member type {info.type!r}")
        following = infos[position + 1].offset if position + 1 < len(infos) else end
        size = info.size if TYPES[info.type] == "reg" else 0
        content_end = info.offset_data + size
        found.append((info, tar[info.offset:info.offset_data], tar[info.offset_data:content_end],
                      tar[content_end:following]))
    return found, tar[end:]


def _entry(info: tarfile.TarInfo, content: bytes) -> dict:
    kind = TYPES[info.type]
    entry = {"name": _go_text(info.name), "type": kind, "mode": info.mode, "uid": info.uid,
             "gid": info.gid, "modtime": "1970-01-01T00:00:00Z"}
    if kind in ("symlink", "hardlink"):
        entry["linkName"] = _go_text(info.linkname)
    if kind == "reg":
        entry["size"] = len(content)
        if content:
            entry["digest"] = _sha(content)
    return entry


def _chunks(content: bytes, chunk_size: int) -> list[tuple[int, bytes]]:
    return [(start, content[start:start + chunk_size]) for start in range(0, len(content), chunk_size)]


def to_estargz(tar: bytes, chunk_size: int = 4 << 20, level: int = 1,
               plain: hashlib._Hash | None = None) -> tuple[bytes, dict[str, str]]:
    """The eStargz blob of a layer tar, and its descriptor annotations (the TOC digest);
    `plain`, when given, is fed the uncompressed stream (for the layer's diff ID)."""
    out = bytearray()
    state: dict[str, object] = {"gz": None}

    def write(data: bytes) -> None:
        if state["gz"] is None:
            state["gz"] = zlib.compressobj(level, zlib.DEFLATED, 31)
        out.extend(state["gz"].compress(data))
        if plain is not None:
            plain.update(data)

    def close() -> None:
        if state["gz"] is not None:
            out.extend(state["gz"].flush())
            state["gz"] = None

    members, _ = _members(tar)
    landmark = tarfile.TarInfo(LANDMARK)
    landmark.size, landmark.mode = 1, 0o644
    entries = []
    first = (landmark, landmark.tobuf(tarfile.PAX_FORMAT), b"\x0f", bytes(511))
    for info, header, content, rest in [first, *members]:
        write(header)
        entry = _entry(info, content)
        entries.append(entry)
        for number, (offset, chunk) in enumerate(_chunks(content, chunk_size)):
            close()
            start = len(out)
            write(chunk)
            last = offset + len(chunk) == len(content)
            if number == 0:
                entry.update(offset=start, chunkDigest=_sha(chunk))
                if not last:
                    entry["chunkSize"] = len(chunk)
            else:
                entries.append({"name": entry["name"], "type": "chunk", "offset": start,
                                "chunkOffset": offset, "chunkSize": 0 if last else len(chunk),
                                "chunkDigest": _sha(chunk)})
        write(rest)
    close()
    toc_offset = len(out)
    toc = json.dumps({"version": 1, "entries": entries}, separators=(",", ":")).encode()
    info = tarfile.TarInfo("stargz.index.json")
    info.size = len(toc)
    write(info.tobuf(tarfile.PAX_FORMAT) + toc + bytes(-len(toc) % 512))
    close()
    extra = b"SG" + struct.pack("<H", 22) + b"%016xSTARGZ" % toc_offset
    out += (b"\x1f\x8b\x08\x04" + bytes(4) + b"\x00\xff" + struct.pack("<H", len(extra)) + extra
            + b"\x01\x00\x00\xff\xff" + bytes(8))
    return bytes(out), {TOC_DIGEST: _sha(toc)}


def _skippable(payload: bytes) -> bytes:
    return struct.pack("<II", SKIPPABLE_MAGIC, len(payload)) + payload


def to_zstd_chunked(tar: bytes, chunk_size: int = 4 << 20, prefix: str = "io.github.containers."
                    ) -> tuple[bytes, dict[str, str]]:
    """The zstd:chunked blob of a layer tar and its descriptor annotations; `prefix` is
    "io.containers." for the spelling (and the shorter footer) of skopeo 1.9."""
    compressor = zstandard.ZstdCompressor(level=3)
    out = bytearray()
    pending = bytearray()

    def flush() -> None:
        if pending:
            out.extend(compressor.compress(bytes(pending)))
            pending.clear()

    members, trailer = _members(tar)
    entries = []
    for info, header, content, rest in members:
        pending += header
        entry = _entry(info, content)
        entries.append(entry)
        if content:
            flush()
            entry["offset"] = len(out)
            for number, (offset, chunk) in enumerate(_chunks(content, chunk_size)):
                start = len(out)
                out += compressor.compress(chunk)
                if number:
                    entries.append({"type": "chunk", "name": entry["name"], "offset": start,
                                    "endOffset": len(out), "chunkOffset": offset,
                                    "chunkSize": len(chunk), "chunkDigest": _sha(chunk)})
            entry["endOffset"] = len(out)
        pending += rest
    pending += trailer
    flush()
    manifest = json.dumps({"version": 1, "entries": entries}, separators=(",", ":")).encode()
    compressed = compressor.compress(manifest)
    out += struct.pack("<II", SKIPPABLE_MAGIC, len(compressed))
    offset = len(out)
    out += compressed
    fields = [offset, len(compressed), len(manifest), 1]
    if prefix == "io.containers.":
        out += _skippable(struct.pack("<4Q", *fields) + FOOTER_MAGIC)
    else:
        out += _skippable(struct.pack("<7Q", *fields, 0, 0, 0) + FOOTER_MAGIC)
    return bytes(out), {prefix + "zstd-chunked.manifest-checksum": _sha(compressed),
                        prefix + "zstd-chunked.manifest-position": ":".join(map(str, fields))}


class FileRanges(BlobRanges):
    """sources.base.RangeReader over a blob file, counting requests and bytes."""

    def __init__(self, path) -> None:
        self._path = path
        self.size = os.path.getsize(path)
        self.fetched = 0
        self.requests = 0

    def _bytes(self, offset: int, length: int) -> bytes:
        with open(self._path, "rb") as handle:
            handle.seek(offset)
            return handle.read(length)


def layout_layers(directory: Path) -> tuple[dict, dict, list[dict]]:
    """(index, manifest, layer descriptors) of a one-image OCI layout."""
    index = json.loads((directory / "index.json").read_bytes())
    manifest = json.loads(blob_path(directory, index["manifests"][0]["digest"]).read_bytes())
    return index, manifest, manifest["layers"]


def blob_path(directory: Path, digest: str) -> Path:
    """Where a layout keeps a blob."""
    return directory / "blobs" / "sha256" / digest.split(":", 1)[1]


def estargz_layout(source: Path, target: Path, chunk_size: int = 4 << 20) -> Path:
    """An OCI layout of the image in `source` (any layer compression) with eStargz layers: a
    new config (the diff IDs of the eStargz tars), the TOC digest annotation on each layer."""
    index, manifest, layers = layout_layers(source)
    config = json.loads(blob_path(source, manifest["config"]["digest"]).read_bytes())
    (target / "blobs" / "sha256").mkdir(parents=True)
    descriptors, diff_ids = [], []
    for layer in layers:
        stored = blob_path(source, layer["digest"]).read_bytes()
        diff_id = hashlib.sha256()
        blob, annotations = to_estargz(uncompressed(stored), chunk_size, plain=diff_id)
        diff_ids.append("sha256:" + diff_id.hexdigest())
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": _write(target, blob), "size": len(blob),
                            "annotations": annotations})
    config["rootfs"]["diff_ids"] = diff_ids
    data = json.dumps(config).encode()
    manifest = dict(manifest, layers=descriptors,
                    config=dict(manifest["config"], digest=_write(target, data), size=len(data)))
    data = json.dumps(manifest).encode()
    index["manifests"] = [dict(index["manifests"][0], digest=_write(target, data), size=len(data))]
    (target / "index.json").write_text(json.dumps(index))
    (target / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return target


def uncompressed(stored: bytes) -> bytes:
    """A blob's bytes decompressed as its magic bytes say (zstd, gzip, or none)."""
    if stored[:4] == b"\x28\xb5\x2f\xfd":
        return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(stored),
                                                          read_across_frames=True).read()
    return _gunzip(stored) if stored[:2] == b"\x1f\x8b" else stored


def _gunzip(blob: bytes) -> bytes:
    """Every member of a multi-member gzip stream, decompressed."""
    out, rest = bytearray(), blob
    while rest:
        inflater = zlib.decompressobj(31)
        out += inflater.decompress(rest)
        rest = inflater.unused_data
    return bytes(out)


def _write(directory: Path, data: bytes) -> str:
    digest = _sha(data)
    blob_path(directory, digest).write_bytes(data)
    return digest
