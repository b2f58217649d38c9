"""One layer blob as it downloads: fetched, counted and hashed on a thread of its own while the
layer reader inflates and indexes what already came.

Downloading, hashing (sha256) and inflating a gzip layer each take a share of the time, and
all three release the interpreter lock; done one after the other in the indexing thread they
added up (size:v1's 184 MB layer: 0.3 s of download and sha256 before its 0.7 s of inflating
and indexing). Here the download runs ahead by at most AHEAD pieces, so memory stays bounded
whatever the blob's size.

The correctness rules stay where they were: every byte is hashed as it arrives, and finish()
fails (LayerReadError) unless the blob had exactly its descriptor's size and digest, so an
index from a bad blob is never returned, hence never cached; a dropped connection resumes with
a Range request from the byte it reached."""

from __future__ import annotations

import hashlib
import queue
import threading
import time

from ..errors import LayerReadError
from . import registry_http
from .registry_http import Http

CHUNK = 1 << 20
"""Bytes asked of the connection at once."""
AHEAD = 16
"""Pieces the download may run ahead of the reader (AHEAD x CHUNK bytes at most)."""
_END = object()


class _Stopped(Exception):
    """The reader closed the stream: the download thread stops quietly."""


class BlobStream:
    """read() over one blob as it downloads (on a thread of its own): resumed with a Range
    request from the byte it reached when the connection drops, checked against its size and
    digest at the end (finish()). A blob that fails either is a LayerReadError, never an
    index."""

    def __init__(self, opener, http: Http, digest: str, size: int | None,
                 abort: threading.Event | None = None) -> None:
        self._opener = opener
        """headers -> a successful response (200 or 206) for the blob."""
        self._http = http
        self._digest = digest
        algorithm, _, self._expected = digest.partition(":")
        self._hash = hashlib.new(algorithm)
        self._size = size
        self._abort = abort
        self._pieces: queue.Queue = queue.Queue(AHEAD)
        self._stop = threading.Event()
        self._buffer = b""
        self._ended = False
        self._failure: BaseException | None = None
        self._fetched = 0  # bytes hashed: the download thread's until it ends
        self.broken = False
        """True once the transport failed for good (finish() would only fail again)."""
        self._thread = threading.Thread(target=self._download, daemon=True,
                                        name=f"blob {digest[7:19]}")
        self._thread.start()

    # -- the download thread ------------------------------------------------------------------

    def _download(self) -> None:
        try:
            self._fetch_all()
            self._put(_END)
        except _Stopped:
            pass
        except BaseException as error:  # noqa: BLE001 - handed to the reader, raised there
            try:
                self._put(error)
            except _Stopped:
                pass

    def _put(self, item) -> None:
        while True:
            if self._stop.is_set() or (self._abort is not None and self._abort.is_set()
                                       and item is not _END):
                raise _Stopped()
            try:
                self._pieces.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _fetch_all(self) -> None:
        position, resumes = 0, 0
        while True:
            response = self._opener({"Range": f"bytes={position}-"} if position else {})
            try:
                chunks = response.iter_content(CHUNK)
                if response.status_code == 200 and position:
                    skip = position  # the server ignored the Range: drop what was read before
                    while skip > 0:
                        piece = next(chunks, b"")
                        if not piece:
                            raise LayerReadError(f"blob {self._digest} ended early on a resumed read")
                        dropped = min(skip, len(piece))
                        self._http.counter.add(fetched=dropped)  # fetched all the same
                        if len(piece) > skip:
                            position = self._take(piece[skip:], position)
                        skip -= dropped
                for piece in chunks:
                    position = self._take(piece, position)
                return
            except registry_http.BROKEN as error:
                resumes += 1
                if resumes > registry_http.RETRIES:
                    raise LayerReadError(
                        f"blob {self._digest} from {self._http.host}: the connection failed "
                        f"{resumes} times ({registry_http.reason(error)}) at byte {position}"
                    ) from error
                time.sleep(registry_http.BACKOFF * resumes)
            finally:
                response.close()

    def _take(self, piece: bytes, position: int) -> int:
        """Hash, count and queue one piece; the position after it."""
        position += len(piece)
        self._fetched = position
        self._hash.update(piece)
        self._http.counter.add(fetched=len(piece))
        if self._size is not None and position > self._size:
            raise LayerReadError(f"blob {self._digest} is longer than the {self._size} bytes "
                                 "its descriptor gives")
        self._put(piece)
        return position

    # -- the reader ---------------------------------------------------------------------------

    def _next(self) -> bytes:
        if self._abort is not None and self._abort.is_set():
            self.broken = True
            raise LayerReadError(f"blob {self._digest}: stopped, another layer failed")
        if self._buffer:
            piece, self._buffer = self._buffer, b""
            return piece
        if self._ended:
            return b""
        if self._failure is not None:
            raise self._failure
        while True:
            try:
                item = self._pieces.get(timeout=0.1)
                break
            except queue.Empty:
                if self._abort is not None and self._abort.is_set():
                    self.broken = True
                    raise LayerReadError(f"blob {self._digest}: stopped, another layer failed") \
                        from None
        if item is _END:
            self._ended = True
            return b""
        if isinstance(item, BaseException):
            self._failure = item
            self.broken = True
            raise item
        return item

    def read(self, size: int = -1) -> bytes:
        piece = self._next()
        if size is not None and 0 <= size < len(piece):
            piece, self._buffer = piece[:size], piece[size:]
        return piece

    def finish(self) -> None:
        """Wait for the rest of the blob (the compressed stream's tail the layer reader left)
        and check its size and digest."""
        while self._next():
            pass
        self._thread.join()  # it queued _END as its last act
        position = self._fetched
        if self._size is not None and position != self._size:
            raise LayerReadError(f"blob {self._digest} from {self._http.host} is truncated: "
                                 f"{position} of {self._size} bytes")
        if self._hash.hexdigest() != self._expected:
            raise LayerReadError(
                f"blob {self._digest} from {self._http.host} does not match its digest: its "
                f"bytes are {self._hash.name}:{self._hash.hexdigest()}",
                hint="the registry or something between it and you altered the blob")

    def close(self) -> None:
        """Stop the download if it still runs. Not waited for: a thread stuck in a stalled
        read stops at its timeout, and it hands nothing on once stopped."""
        self._stop.set()
