"""The layer-index cache: one compact file per layer, content-addressed by diff ID.

Layers are immutable and named by the digest of their content, but an index is also what the
reader made of them: each entry carries the fingerprint of the code that produced it (the
reader's modules and the capture policy it read with, `producer_fingerprint`), and an entry of
other code reads as missing, so a reader fix reaches layers already cached. Each entry is a
zstd-compressed marshal of the index, framed (layers/framing.py) with its kind, format and a
checksum; an entry that fails any is treated as missing and rebuilt.
Writes go to a temporary file renamed into place, so concurrent runs never see half an entry.
Image configs are kept too (by image ID), so an engine image whose layers are all cached is
analysed without exporting it at all.
"""

from __future__ import annotations

import functools
import marshal
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import LayerscopeError
from ..fingerprint import modules_fingerprint
from ..model import FileEntry
from .blob import IndexedBlob
from .cachedir import cache_directory, mark_used, owned_by_this_user
from .framing import frame, unframe

TYPE_CHECKING = False  # not typing's: kept as light as the modules around it
if TYPE_CHECKING:
    from .tarindex import CapturePolicy

FORMAT = 4  # 4: a layer index carries its producer's fingerprint
MAGIC = b"LSIX"
"""Framing magic of the store's entries (layer indexes and finished reports)."""
_HERE = os.path.dirname(os.path.abspath(__file__))
INDEX_PRODUCERS = tuple(os.path.join(_HERE, name) for name in (
    "blob.py", "cache.py", "decompress.py", "directory_index.py", "limits.py", "readahead.py",
    "tarheader.py", "tarindex.py", "toc.py", "toc_decode.py", "toc_estargz.py", "toc_read.py",
    "toc_zstd_chunked.py")) + (os.path.join(os.path.dirname(_HERE), "model.py"),)
"""The modules whose code decides what a layer index holds: the readers (of a tar, of a layer
directory in the engine's store, and of a zstd:chunked or eStargz table of contents),
decompression, limits and read-ahead, the entry tuples (model) and this module's encoding."""
DEFAULT_LIMIT = 4 << 30
STALE_TEMPORARY_SECONDS = 3600


class CacheError(LayerscopeError):
    """The cache directory cannot be used."""


@dataclass(frozen=True)
class CacheStats:
    """What `layerscope cache info` reports."""

    directory: str
    """Where the cache lives."""
    layer_entries: int
    """Number of cached layer indexes."""
    config_entries: int
    """Number of cached image configs."""
    total_bytes: int
    """Bytes on disk."""
    limit_bytes: int
    """The size cap; least recently used entries go first when it is passed."""


def producer_fingerprint(capture: CapturePolicy | None = None) -> bytes:
    """The 16-byte fingerprint of the code that produces a layer index read with the capture
    policy `capture` (a tarindex.CapturePolicy, or None): the INDEX_PRODUCERS' contents and the
    policy, including the module that defines its test (about a third of a millisecond)."""
    paths = list(INDEX_PRODUCERS)
    policy = "no capture"
    if capture is not None:
        wants = capture.wants
        module = getattr(sys.modules.get(wants.__module__), "__file__", None)
        paths.append(module or wants.__code__.co_filename)
        policy = repr((capture.prefixes, capture.suffixes, wants.__module__, wants.__qualname__))
    return bytes.fromhex(modules_fingerprint(paths, policy))


def encode_blob(blob: IndexedBlob) -> bytes:
    """The compact encoding of a layer index: marshal of plain tuples, in marshal's version 2,
    which writes and reads twice as fast as the later ones (their back-references cost a hash
    lookup per object; zstd then takes the repetition out anyway)."""
    try:  # entries from the tar reader are plain tuples of plain values already
        rows = list(map(tuple, blob.entries))
        return marshal.dumps((rows, blob.size, blob.stored_size, blob.codec, blob.captured), 2)
    except ValueError:  # an EntryKind member, built by hand: marshal wants the int
        rows = [(e.path, int(e.kind), *e[2:]) for e in blob.entries]
        return marshal.dumps((rows, blob.size, blob.stored_size, blob.codec, blob.captured), 2)


def decode_blob(payload: bytes) -> IndexedBlob:
    """The layer index back from encode_blob's bytes.

    Kinds come back as the plain ints they encode, as the tar reader makes them: building a
    million entries costs one C-level call each this way."""
    rows, size, stored_size, codec, captured = marshal.loads(payload)
    make = functools.partial(tuple.__new__, FileEntry)
    return IndexedBlob(tuple(map(make, rows)), size, stored_size, codec, captured)


class CacheStore:
    """diff ID -> IndexedBlob, in memory for this run and on disk across runs."""

    def __init__(self, directory: Path | None = None, limit: int = DEFAULT_LIMIT,
                 persistent: bool = True, reuse: bool = True,
                 capture: CapturePolicy | None = None) -> None:
        self.directory = directory or Path(cache_directory())
        self.limit = limit
        self.persistent = persistent
        self.reuse = reuse
        """False (--verify): entries from earlier runs are not trusted; what this run reads
        and verifies is still stored, replacing them."""
        self.capture = capture
        """The capture policy (tarindex.CapturePolicy) this run's layers are read with: an
        index read with another one is not this run's."""
        self._producer: bytes | None = None
        self._memory: dict[str, IndexedBlob] = {}
        self._checked = False
        self._pruned = False

    # -- the mapping the sources use ---------------------------------------------------------

    def get(self, diff_id: str) -> IndexedBlob | None:
        """The cached index of a layer, or None (also for a corrupt entry, which is dropped)."""
        blob = self._memory.get(diff_id)
        if blob is None and self.persistent and self.reuse:
            blob = self._load(self._layer_path(diff_id))
            if blob is not None:
                self._memory[diff_id] = blob
        return blob

    def __setitem__(self, diff_id: str, blob: IndexedBlob) -> None:
        if blob.deferred and self.persistent:  # see ReadOptions.hash_every_file
            raise ValueError("an index with unhashed files cannot be kept")  # a bug, not input
        self._memory[diff_id] = blob
        if self.persistent:
            self._store(self._layer_path(diff_id), encode_blob(blob), self._producer_stamp())

    def __contains__(self, diff_id: str) -> bool:
        # loaded, not just looked for: an entry of other code is there but not usable, and
        # the caller reads the index next anyway
        return self.get(diff_id) is not None

    def _producer_stamp(self) -> bytes:
        if self._producer is None:
            self._producer = producer_fingerprint(self.capture)
        return self._producer

    def config(self, image_id: str) -> bytes | None:
        """A cached image config by image ID (its own digest, checked on read)."""
        if not (self.persistent and self.reuse):
            return None
        path = self._config_path(image_id)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        import hashlib

        if "sha256:" + hashlib.sha256(data).hexdigest() != image_id:
            path.unlink(missing_ok=True)
            return None
        return data

    def store_config(self, image_id: str, data: bytes) -> None:
        """Keep an image config for the next run."""
        if self.persistent:
            self._write_atomically(self._config_path(image_id), data)

    # -- files -------------------------------------------------------------------------------

    def _layer_path(self, diff_id: str) -> Path:
        return self.directory / f"layers-v{FORMAT}" / _safe_name(diff_id)

    def _config_path(self, image_id: str) -> Path:
        return self.directory / "configs" / _safe_name(image_id)

    def _ensure_directory(self, path: Path) -> None:
        if not self._checked:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not owned_by_this_user(self.directory):
                raise CacheError(f"the cache directory {self.directory} belongs to another user",
                                 hint="set LAYERSCOPE_CACHE_DIR to a directory of your own, "
                                      "or pass --no-cache")
            self._checked = True
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _load(self, path: Path) -> IndexedBlob | None:
        payload = self._load_payload(path, self._producer_stamp())
        if payload is None:
            return None
        try:
            return decode_blob(payload)
        except Exception:  # noqa: BLE001 - any damage means: not cached; it is rebuilt
            path.unlink(missing_ok=True)
            return None

    def _load_payload(self, path: Path, stamp: bytes = b"") -> bytes | None:
        """An entry's payload after its framing passes and its body starts with `stamp` (the
        producer's fingerprint); a damaged entry is dropped, one of other code left to be
        replaced."""
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            body = unframe(MAGIC, FORMAT, data)
            if body is None:
                raise ValueError("another kind or format, or damaged")
            if not body.startswith(stamp):
                return None
            import zstandard

            payload = zstandard.ZstdDecompressor().decompress(body[len(stamp):])
        except Exception:  # noqa: BLE001 - any damage means: not cached; it is rebuilt
            path.unlink(missing_ok=True)
            return None
        mark_used(path)
        return payload

    def _store(self, path: Path, payload: bytes, stamp: bytes = b"") -> None:
        import zstandard

        body = stamp + zstandard.ZstdCompressor(level=1).compress(payload)
        self._write_atomically(path, frame(MAGIC, FORMAT, body))
        self._enforce_limit()

    def report(self, key: str) -> bytes | None:
        """A finished report stored under `key` (see analysis.report_memo), or None."""
        if not (self.persistent and self.reuse):
            return None
        return self._load_payload(self.directory / f"reports-v{FORMAT}" / _safe_name(key))

    def store_report(self, key: str, payload: bytes) -> None:
        """Keep a finished report for the next run on the same image with the same options."""
        if self.persistent:
            self._store(self.directory / f"reports-v{FORMAT}" / _safe_name(key), payload)

    def store_file(self, relative: str, data: bytes) -> None:
        """Keep bytes its owner framed (see layerscope.replay) at a path in the cache."""
        if self.persistent:
            self._write_atomically(self.directory / relative, data)
            self._enforce_limit()

    def _write_atomically(self, path: Path, data: bytes) -> None:
        self._ensure_directory(path)
        import tempfile  # only a write needs it, and its import (random) costs 2 ms

        try:
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except OSError as error:
            raise CacheError(f"cannot write to the cache {self.directory}: {error.strerror}",
                             hint="free some space, or pass --no-cache") from error

    # -- maintenance -------------------------------------------------------------------------

    def _files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return [p for p in self.directory.glob("*/*") if p.is_file() and not p.name.startswith(".")]

    def _enforce_limit(self) -> None:
        # once a run: pruning stats every entry, and a run storing twenty layers into a cache
        # of thousands would do it twenty times; the cap is passed by one run's entries at most
        if not self._pruned:
            self._pruned = True
            self.prune(self.limit)

    def prune(self, limit: int) -> int:
        """Remove least recently used entries until the cache fits in `limit`; bytes freed."""
        files = []
        for path in self._files():
            try:
                info = path.stat()
            except OSError:
                continue
            files.append((info.st_mtime, info.st_size, path))
        total = sum(size for _, size, _ in files)
        freed = 0
        for _, size, path in sorted(files):
            if total - freed <= limit:
                break
            path.unlink(missing_ok=True)
            freed += size
        for stale in self.directory.glob("*/.tmp-*") if self.directory.is_dir() else ():
            try:  # a run that died mid-write; a younger one may be another run's, still writing
                if stale.stat().st_mtime < time.time() - STALE_TEMPORARY_SECONDS:
                    stale.unlink(missing_ok=True)
            except OSError:
                pass
        return freed

    def clear(self) -> int:
        """Remove every entry; bytes freed."""
        return self.prune(0)

    def stats(self) -> CacheStats:
        """Counts and sizes for `cache info`."""
        files = self._files()
        return CacheStats(
            directory=str(self.directory),
            layer_entries=sum(1 for p in files if p.parent.name.startswith("layers-")),
            config_entries=sum(1 for p in files if p.parent.name == "configs"),
            total_bytes=sum(p.stat().st_size for p in files),
            limit_bytes=self.limit,
        )


def _safe_name(digest: str) -> str:
    algorithm, _, value = digest.partition(":")
    name = f"{algorithm}-{value}" if value else algorithm
    if not name.replace("-", "").isalnum():
        raise CacheError(f"refusing to cache under the malformed digest {digest[:80]!r}")
    return name
