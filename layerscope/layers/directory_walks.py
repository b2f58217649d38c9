"""Index several layer directories at once: a forked worker process and this one each take
the next layer nobody has taken yet, until none is left.

A directory walk costs ~3.5 µs an entry, two thirds of it the kernel's lstat and directory
reads (layers.directory_index), and the layers are independent, so a second core halves it;
threads cannot, since the Python part holds the GIL. Layers are taken from a shared counter,
not dealt out in advance, because one layer (the base, most often) can hold a third of an
image's files: dealt alternately, big-churn's 20 layers gave this process 250k of 393k entries
and the walk gained nothing.

The worker sends each layer as soon as it is walked, as plain tuples in marshal's format (a
third of pickle's cost to write, for data a fork of this process made; pickling FileEntry named
tuples costs four times as much again), from a thread of its own so that a full pipe never
stops its walk; this process takes what has arrived between two of its own layers and makes
the rows FileEntry then, and hands each layer to `ready` (the engine store looks for the
contents the merge compares and hashes them), so that work is done while the worker still
walks, and the shared counter gives this process fewer layers to make up for it. What is left
at the end is the last layer or two the worker sends. A worker that fails to start, dies or
cannot send costs only time: the layers it took and did not send are walked here. An error
reading a layer in the worker is raised here as the same LayerReadError message.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable

from ..errors import LayerReadError
from .blob import IndexedBlob
from .directory_index import Walked, blob_of, walk_directory
from .tarindex import CapturePolicy

MIN_LAYERS = 2
"""Fewer layers to walk than this are walked here: there is nothing to share."""


def index_directories(layers: list[tuple[str, bool]], *, capture: CapturePolicy | None,
                      hash_all: bool,
                      ready: Callable[[int, IndexedBlob], None] | None = None,
                      ) -> list[IndexedBlob]:
    """The index of each (directory, type_bits) of `layers`, in order (see index_directory).
    `ready` is called here with each layer's position and index as soon as it is walked, in
    the order they are walked: its work is done while the worker still walks."""
    blobs: dict[int, IndexedBlob] = {}

    def walk(position: int) -> Walked:
        directory, bits = layers[position]
        return walk_directory(directory, capture=capture, hash_all=hash_all, type_bits=bits)

    def done(position: int, walked: Walked) -> None:
        blobs[position] = blob = blob_of(walked)
        if ready is not None:
            ready(position, blob)

    count = len(layers)
    worker = None
    if count >= MIN_LAYERS and (os.cpu_count() or 1) >= 2 and hasattr(os, "fork"):
        worker = _start(walk, count)
    if worker is None:
        for position in range(count):
            done(position, walk(position))
        return [blobs[position] for position in range(count)]
    _walk_with(worker, walk, done)
    for position in range(count):
        if position not in blobs:  # taken by a worker that died before sending it
            done(position, walk(position))
    return [blobs[position] for position in range(count)]


def _walk_with(worker, walk: Callable[[int], Walked],
               done: Callable[[int, Walked], None]) -> None:
    """Walk the layers this process claims and take the worker's as they come, until it has
    sent its last."""
    process, receiver, claim, stop = worker
    try:
        while (position := claim()) is not None:
            done(position, walk(position))
            while receiver.poll():  # what the worker sent meanwhile, without waiting
                if not _take(receiver, done):
                    break
        while _take(receiver, done):
            pass
    except BaseException:
        process.terminate()  # its walk is of no use now; it is this process's own child
        raise
    finally:
        stop()
        receiver.close()
        process.join()


def _take(receiver, done: Callable[[int, Walked], None]) -> bool:
    """Receive one message of the worker and hand it to `done`; False when it sent its last
    (or died, or could not send); an error it met reading a layer is raised here."""
    try:
        message = receiver.recv_bytes()
    except (EOFError, OSError):
        return False
    if not message:
        return False
    position, walked = marshal.loads(message)
    if isinstance(walked, str):
        raise LayerReadError(walked)
    done(position, walked)
    return True


def _start(walk, count: int):
    """(the worker process, our end of its pipe, the claim function both sides call: the next
    untaken layer's position or None, a function that lets no more be taken), or None when
    the worker cannot start."""
    import multiprocessing  # only here: 15 ms of imports an archive run never needs

    try:
        context = multiprocessing.get_context("fork")
        taken = context.Value("i", 0)

        def claim() -> int | None:
            with taken.get_lock():
                position = taken.value
                if position >= count:
                    return None
                taken.value = position + 1
                return position

        def stop() -> None:
            with taken.get_lock():
                taken.value = count

        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_work, args=(walk, claim, sender), daemon=True)
        process.start()
    except (OSError, ValueError):
        return None
    sender.close()
    return process, receiver, claim, stop


def _work(walk, claim, sender) -> None:
    """In the worker: walk the layers it claims, each sent (position, walked layer or error
    text) by a thread as soon as it is walked, then an empty message."""
    import queue
    import threading

    outbox: queue.SimpleQueue = queue.SimpleQueue()

    def send() -> None:
        try:
            while True:
                message = outbox.get()
                sender.send_bytes(b"" if message is None else marshal.dumps(message))
                if message is None:
                    break
        except OSError:  # this process's reader has gone (it failed): nothing to send to
            pass
        finally:
            sender.close()

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    try:
        while (position := claim()) is not None:
            try:
                outbox.put((position, walk(position)))
            except LayerReadError as error:
                outbox.put((position, error.message))
                break
            except OSError as error:
                outbox.put((position, f"cannot read a layer directory: {error}"))
                break
    finally:
        outbox.put(None)
        thread.join()
