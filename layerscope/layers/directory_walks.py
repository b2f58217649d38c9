"""Index several layer directories at once: a forked worker process and this one each take
the next layer nobody has taken yet, until none is left.

A directory walk costs ~3.5 µs an entry, two thirds of it the kernel's lstat and directory
reads (layers.directory_index), and the layers are independent, so a second core halves it;
threads cannot, since the Python part holds the GIL. Layers are taken from a shared counter,
not dealt out in advance, because one layer (the base, most often) can hold a third of an
image's files: dealt alternately, big-churn's 20 layers gave this process 250k of 393k entries
and the walk gained nothing.

The worker sends each layer as soon as it is walked, as plain tuples (pickling FileEntry named
tuples costs four times as much), from a thread of its own so that a full pipe never stops its
walk; this process takes what has arrived between two of its own layers and makes the rows
FileEntry then, so that work is done while the worker still walks, and the shared counter
gives this process fewer layers to make up for it. What is left at the end is the last layer
or two the worker sends. A worker that fails to start, dies or cannot send costs only time:
the layers it took and did not send are walked here. An error reading a layer in the worker is
raised here as the same LayerReadError message.
"""

from __future__ import annotations

import os

from ..errors import LayerReadError
from .blob import IndexedBlob
from .directory_index import Walked, blob_of, walk_directory
from .tarindex import CapturePolicy

MIN_LAYERS = 2
"""Fewer layers to walk than this are walked here: there is nothing to share."""


def index_directories(layers: list[tuple[str, bool]], *, capture: CapturePolicy | None,
                      hash_all: bool) -> list[IndexedBlob]:
    """The index of each (directory, type_bits) of `layers`, in order (see index_directory)."""

    def walk(position: int) -> Walked:
        directory, bits = layers[position]
        return walk_directory(directory, capture=capture, hash_all=hash_all, type_bits=bits)

    count = len(layers)
    if count < MIN_LAYERS or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return [blob_of(walk(position)) for position in range(count)]
    worker = _start(walk, count)
    if worker is None:
        return [blob_of(walk(position)) for position in range(count)]
    process, receiver, claim, stop = worker
    blobs: dict[int, IndexedBlob] = {}
    try:
        while (position := claim()) is not None:
            blobs[position] = blob_of(walk(position))
            while receiver.poll():  # what the worker sent meanwhile, without waiting
                if not _take(receiver, blobs):
                    break
        while _take(receiver, blobs):
            pass
    except BaseException:
        process.terminate()  # its walk is of no use now; it is this process's own child
        raise
    finally:
        stop()
        receiver.close()
        process.join()
    for position in range(count):
        if position not in blobs:  # taken by a worker that died before sending it
            blobs[position] = blob_of(walk(position))
    return [blobs[position] for position in range(count)]


def _take(receiver, blobs: dict[int, IndexedBlob]) -> bool:
    """Receive one message of the worker into `blobs`; False when it sent its last (or died,
    or could not send); an error it met reading a layer is raised here."""
    try:
        message = receiver.recv()
    except (EOFError, OSError):
        return False
    if message is None:
        return False
    position, walked = message
    if isinstance(walked, str):
        raise LayerReadError(walked)
    blobs[position] = blob_of(walked)
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
    text) by a thread as soon as it is walked, then None."""
    import queue
    import threading

    outbox: queue.SimpleQueue = queue.SimpleQueue()

    def send() -> None:
        try:
            while True:
                message = outbox.get()
                sender.send(message)
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
