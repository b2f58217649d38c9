"""Index several layer directories at once: a forked worker process and this one each take
the next layer nobody has taken yet, until none is left.

A directory walk costs ~5 µs an entry, half of it the kernel's lstat and half Python's work
around it (layers.directory_index), and the layers are independent, so a second core halves
it; threads cannot, since the Python half holds the GIL. Layers are taken from a shared counter,
not dealt out in advance, because one layer (the base, most often) can hold a third of an
image's files: dealt alternately, big-churn's 20 layers gave this process 250k of 393k entries
and the walk gained nothing. The worker sends its indexes back as
plain tuples in one message when it is done (pickling FileEntry named tuples costs four times
as much), and this process rebuilds them. A worker that fails to start, dies or cannot send
costs only time: its layers are walked here. An error reading a layer in the worker is raised
here as the same LayerReadError message.
"""

from __future__ import annotations

import os

from ..errors import LayerReadError
from ..model import FileEntry
from .blob import IndexedBlob
from .directory_index import index_directory
from .tarindex import CapturePolicy

MIN_LAYERS = 2
"""Fewer layers to walk than this are walked here: there is nothing to share."""
_new_entry = tuple.__new__


def index_directories(layers: list[tuple[str, bool]], *, capture: CapturePolicy | None,
                      hash_all: bool) -> list[IndexedBlob]:
    """The index of each (directory, type_bits) of `layers`, in order (see index_directory)."""

    def walk(position: int) -> IndexedBlob:
        directory, bits = layers[position]
        return index_directory(directory, capture=capture, hash_all=hash_all, type_bits=bits)

    if len(layers) < MIN_LAYERS or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return [walk(position) for position in range(len(layers))]
    worker = _start(walk, len(layers))
    if worker is None:
        return [walk(position) for position in range(len(layers))]
    process, receiver, claim = worker
    mine = {}
    while (position := claim()) is not None:
        mine[position] = walk(position)
    received = _receive(process, receiver) or {}
    for position in range(len(layers)):
        if position not in mine:
            packed = received.get(position)
            mine[position] = walk(position) if packed is None else _unpack(packed)
    return [mine[position] for position in range(len(layers))]


def _start(walk, count: int):
    """(the worker process, our end of its pipe, the claim function both sides call: the next
    untaken layer's position, or None), or None when the worker cannot start."""
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

        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_work, args=(walk, claim, sender), daemon=True)
        process.start()
    except (OSError, ValueError):
        return None
    sender.close()
    return process, receiver, claim


def _work(walk, claim, sender) -> None:
    """In the worker: walk the layers it claims, send {position: packed index or error text}."""
    results: dict[int, object] = {}
    while (position := claim()) is not None:
        try:
            results[position] = _pack(walk(position))
        except LayerReadError as error:
            results[position] = error.message
        except OSError as error:
            results[position] = f"cannot read a layer directory: {error}"
    sender.send(results)
    sender.close()


def _receive(process, receiver) -> dict[int, object] | None:
    """The worker's results (None when it died or could not send: its layers are walked
    here); an error it met reading a layer is raised here."""
    try:
        results = receiver.recv()
    except (EOFError, OSError):
        results = None
    finally:
        receiver.close()
        process.join()
    if results is not None:
        for message in results.values():
            if isinstance(message, str):
                raise LayerReadError(message)
    return results


def _pack(blob: IndexedBlob) -> tuple:
    return ([tuple(entry) for entry in blob.entries], blob.size, blob.captured, blob.deferred)


def _unpack(packed: tuple) -> IndexedBlob:
    entries, size, captured, deferred = packed
    return IndexedBlob(tuple([_new_entry(FileEntry, entry) for entry in entries]), size, None,
                       "tar", captured, deferred=deferred)
