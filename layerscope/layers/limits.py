"""How an image is read: what a blob may cost, whether layer digests are checked, and whether
every file's content must be hashed.

Every byte of an image is hostile until proven otherwise: a small compressed layer may inflate
to terabytes (a decompression bomb), and a layer may not be what the config's diff_ids say.
The command builds one ReadOptions from its flags (`--max-ratio`, `--verify`, `--no-cache`) and
passes it down to the readers; library callers get the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import LayerReadError

TYPE_CHECKING = False  # not typing's: this module is imported before any layer is read
if TYPE_CHECKING:
    from collections.abc import Callable

    from .sink import LayerSink
    from .tarindex import CapturePolicy

DEFAULT_MAX_RATIO = 100
"""Uncompressed bytes allowed per compressed byte, beyond the floor."""
RATIO_FLOOR = 1 << 30
"""Any compressed blob may inflate to this many bytes, whatever its ratio."""
RATIO_HINT = ("a decompression bomb, or a genuine blob of very compressible data: raise the limit "
              "with --max-ratio N (0 turns it off)")


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read an image: how much a blob may inflate, whether to check layer digests, and
    whether every file must be hashed."""

    max_ratio: int = DEFAULT_MAX_RATIO
    """0 means no limit."""
    ratio_floor: int = RATIO_FLOOR
    """Bytes any blob may inflate to regardless of the ratio."""
    verify: bool = False
    """Hash every uncompressed layer and compare it with the config's diff_ids."""
    capture: CapturePolicy | None = None
    """Which files' contents the tar reader keeps for the analysis (analysis.packages defines
    it; None keeps none)."""
    hash_every_file: bool = True
    """Hash the content of every regular file. False only when the indexes will neither outlive
    the run nor be compared with another image's: an archive may then skip large files unread
    and hash afterwards only those at a path written twice."""
    export: bool = False
    """Read engine images through the engine's export even where its layer store is readable."""
    debug: Callable[[str], None] | None = None
    """Told why a faster path was not taken (the engine's export instead of its store), for
    --debug; None: nobody asks."""
    layer_sink: LayerSink | None = None
    """Handed each layer's index as soon as it is final, bottom first, by the readers that
    finish layers in order (the layer stores'); None: nobody asks. The analysis stacks them
    there while the reader reads on (analysis.streamed_merge)."""

    def inflate_limit(self, compressed: int) -> int | None:
        """Most uncompressed bytes allowed for a blob of `compressed` bytes; None: no limit."""
        if self.max_ratio <= 0:
            return None
        return max(self.ratio_floor, self.max_ratio * compressed)


class InflateGuard:
    """A read() stream over decompressed bytes that stops a decompression bomb.

    With `compressed` known, the limit is fixed up front; otherwise `counter` (the compressed
    stream, counting what it gave) lets the limit grow with the compressed bytes read so far.
    """

    def __init__(self, source, limits: ReadOptions, compressed: int | None, counter=None) -> None:
        self._read = source.read
        self._limits = limits
        self._compressed = compressed
        self._counter = counter
        self._limit = limits.inflate_limit(compressed) if compressed is not None else None
        self.produced = 0
        if hasattr(source, "readinto"):  # keep the zero-copy path the tar reader prefers
            self._readinto = source.readinto
            self.readinto = self._guarded_readinto

    def _guarded_readinto(self, view) -> int:
        count = self._readinto(view) or 0
        self._account(count)
        return count

    def read(self, size: int = -1) -> bytes:
        data = self._read(size)
        self._account(len(data))
        return data

    def _account(self, count: int) -> None:
        self.produced += count
        limit = self._limit
        compressed = self._compressed
        if compressed is None and self._counter is not None:
            compressed = self._counter.count
            limit = self._limits.inflate_limit(compressed)
        if limit is not None and self.produced > limit:
            raise LayerReadError(
                f"decompresses to more than {limit:,} bytes, over {self._limits.max_ratio} times "
                f"its {compressed:,} compressed bytes", hint=RATIO_HINT)


class CountingStream:
    """read() that counts the bytes it passed on."""

    def __init__(self, source) -> None:
        self._read = source.read
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._read(size)
        self.count += len(data)
        return data


class HashingStream:
    """read() that feeds every byte it passes on to a sha256."""

    def __init__(self, source) -> None:
        import hashlib

        self._read = source.read
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._read(size)
        self.sha256.update(data)
        return data

    def finish(self) -> str:
        """Hash what the tar reader left unread (the end-of-archive blocks) and return the digest."""
        while self.read(1 << 20):
            pass
        return "sha256:" + self.sha256.hexdigest()
