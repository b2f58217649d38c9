"""Reading a layer from a file on a second core while the first indexes it.

Copying a layer out of the page cache costs as much as hashing and parsing it, and a file read
releases the interpreter lock (as xxhash does). A thread reads the layer into a few large
blocks; the tar reader indexes one block while the next is being read, and takes each block as
it is, without copying it again: only the few bytes of a member that straddles two blocks are
copied, into room kept free in front of the next block.

A compressed layer is inflated the same way, on a thread of its own (PiecesAhead), but its
pieces are handed over as the decoder made them: the copy into the tar reader's window has to
happen anyway, and fresh blocks would cost their first touch.
"""

from __future__ import annotations

import queue
import threading

HEADROOM = 4 << 20
"""Room in front of each block for the unread end of the previous one (at most what the tar
reader asks for at once: a member's content up to its READ_CHUNK)."""
BLOCK_DATA = 8 << 20
BLOCKS = 3
"""One being indexed, one being read, one ready."""


class BlockPool:
    """Blocks of finished readers, for the next layer of the same run: allocating and first
    touching 36 MB per layer cost more than reading a small layer."""

    def __init__(self) -> None:
        self._spare: list[memoryview] = []

    def take(self) -> memoryview:
        """A spare block of the current size, or a new one."""
        while self._spare:
            block = self._spare.pop()
            if len(block) == HEADROOM + BLOCK_DATA:
                return block
        return memoryview(bytearray(HEADROOM + BLOCK_DATA))

    def give_back(self, blocks: list[memoryview]) -> None:
        """Keep blocks no reader uses any more for the next one."""
        self._spare.extend(blocks)


class ReadAhead:
    """Blocks of a stream, read ahead on a thread. `head` is what was read before (to sniff
    the format); the tar reader starts with it. Close it (or let the reader) when done: the
    thread touches the stream only until then."""

    def __init__(self, stream, head: bytes = b"", pool: BlockPool | None = None) -> None:
        self.head = head
        self._pool = BlockPool() if pool is None else pool
        self._readinto = stream.readinto
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        self._full: queue.SimpleQueue = queue.SimpleQueue()
        self._blocks = [self._pool.take() for _ in range(BLOCKS)]
        for block in self._blocks:
            self._free.put(block)
        self._stopped = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                block = self._free.get()
                if block is None or self._stopped:
                    return
                count = self._readinto(block[HEADROOM:]) or 0
                self._full.put((block, count))
                if not count:
                    return
        except BaseException as error:  # noqa: BLE001 - raised in the reading thread instead
            self._full.put(error)

    def next_block(self) -> tuple[memoryview, int]:
        """The next block and how many bytes were read into it after HEADROOM (0: the end)."""
        item = self._full.get()
        if isinstance(item, BaseException):
            self._full.put(item)  # every later call fails the same way
            raise item
        if item[1] == 0:
            self._full.put(item)  # the end stays the end
        return item

    def recycle(self, block: memoryview) -> None:
        """Hand a block the reader is done with back to the thread."""
        self._free.put(block)

    def close(self) -> None:
        """Stop the thread and wait for it: the stream is the caller's again, and the blocks
        go back to the pool (the tar reader copies out all it keeps)."""
        self._stopped = True
        self._free.put(None)
        self._thread.join()
        self._pool.give_back(self._blocks)
        self._blocks = []


class PiecesAhead:
    """readinto() over the pieces `produce` makes on a thread of its own (at most DEPTH
    ahead; b"" ends them): a gzip layer inflated on one thread while the tar reader indexes
    what came, so the layer's inflate (which releases the interpreter lock) is not also
    waiting on the tar walk. Close it when done: the thread stops at its next piece."""

    DEPTH = 8

    def __init__(self, produce) -> None:
        self._produce = produce
        self._queue: queue.Queue = queue.Queue(self.DEPTH)
        self._stop = threading.Event()
        self._piece = memoryview(b"")
        self._ended = False
        self._thread = threading.Thread(target=self._run, daemon=True, name="inflate")
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                piece = self._produce()
                self._put(piece)
                if not piece:
                    return
        except BaseException as error:  # noqa: BLE001 - raised in the reading thread instead
            self._put(error)

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def readinto(self, view) -> int:
        """Fill `view` from the pieces (fewer bytes only at the end)."""
        filled, wanted = 0, len(view)
        while filled < wanted:
            if not self._piece:
                if self._ended:
                    break
                item = self._queue.get()
                if isinstance(item, BaseException):
                    self._ended = True
                    raise item
                if not item:
                    self._ended = True
                    break
                self._piece = memoryview(item)
            count = min(wanted - filled, len(self._piece))
            view[filled:filled + count] = self._piece[:count]
            self._piece = self._piece[count:]
            filled += count
        return filled

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            out = bytearray()
            while piece := self.read(1 << 20):
                out += piece
            return bytes(out)
        view = memoryview(bytearray(size))
        return bytes(view[:self.readinto(view)])

    def close(self) -> None:
        """Stop the thread and wait for it (it may finish the piece it is making)."""
        self._stop.set()
        self._thread.join()
