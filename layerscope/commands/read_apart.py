"""Read an image in a forked process while this one does other work: `explore` imports Textual.

On size:v1 Textual's import (~0.09 s of CPU) and reading the image (~0.1 s) are each a quarter
of what the explorer costs to its first screen. Both are Python holding the GIL, so a thread
cannot overlap them (tried: nothing gained), but a second process can. The child reads and
sends the image back as plain tuples in marshal's format; this process imports meanwhile, then
decodes (size:v1, 22k entries and 6 MB of package databases: 8 ms to encode there, 11 ms to
decode here).

Sending costs about 1.4 us an entry (0.8 us of it here), so it pays only while the read is
short: a child that has sent nothing once this process has waited, after its own work, as long
again as that work's CPU time is stopped, and the image is read here, as it would have been
without the child (a large image loses that wait, ~0.1 s, and the share of the import's wall its
child's read took; many-small's 1,000,000 entries are read here). A child that fails in any way
(an error in the image, a refused fork, a signal) costs only time: the read here raises what is
to be said. The child shows no progress line (its read is short, or not kept) and is not used
with --debug, whose lines would be said twice.
"""

from __future__ import annotations

import functools
import marshal
import os
import select
import signal
import sys
import time
from collections.abc import Callable

from ..model import FileEntry, HistoryEntry, Image, Layer, LayerDigests

WAIT = 1.0
"""How long after this process's work the child may still take to send, as a share of the
work's CPU time: size:v1's read, begun with the work (Textual's import, ~0.09 s), is sent
0.02-0.06 s after it ends."""

CHUNK = 1 << 20

Read = Callable[[object], tuple[LayerDigests | None, Image]]
"""Reads (base digests, image), showing its progress on the given progress line (or None)."""


def read_apart(read: Read, meanwhile: Callable[[], object], progress=None, *,
               apart: bool = True) -> tuple[LayerDigests | None, Image]:
    """(base digests, image) as `read` returns them: read by a forked child (with no progress
    line) while `meanwhile` runs here, when `apart` and a fork is safe and can help; read here
    with `progress` otherwise, or when the child fails or is too slow."""
    child = _fork(read) if apart and _may_fork() else None
    started, work = time.perf_counter(), time.process_time()
    try:
        meanwhile()
        if child is not None:
            # its CPU time, not its wall: the child's read slows it down on a busy machine
            work = time.process_time() - work
            payload = _collect(child, started + (1 + WAIT) * work)
            child = None
            if payload:
                return decode(payload)
    finally:
        if child is not None:  # meanwhile() failed or was interrupted: the read is of no use
            _stop(child)
    return read(progress)


def _may_fork() -> bool:
    """A fork is safe with no other thread running, and of use with a second core."""
    import threading

    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2 and threading.active_count() == 1


def _fork(read: Read) -> tuple[int, int] | None:
    """(the child's pid, our end of its pipe), or None when no child could be started."""
    for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice
        stream.flush()
    try:
        reader, writer = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # the child: read, send, and leave without running this process's code on
        code = 1
        try:
            os.close(reader)
            payload = encode(*read(None))
            view = memoryview(payload)
            while view:
                view = view[os.write(writer, view[:CHUNK]):]
            code = 0
        finally:
            os._exit(code)  # whatever happened: an error is said by this process's own read
    os.close(writer)
    return pid, reader


def _collect(child: tuple[int, int], deadline: float) -> bytes:
    """The child's payload; empty when it failed, or sent nothing by the deadline (then it is
    stopped)."""
    pid, reader = child
    pieces: list[bytes] = []
    try:
        while True:
            if not pieces:  # once it sends, it has read: take the rest whatever the time
                remaining = deadline - time.perf_counter()
                if remaining <= 0 or not select.select([reader], [], [], remaining)[0]:
                    _stop(child)
                    return b""
            piece = os.read(reader, CHUNK)
            if not piece:
                break
            pieces.append(piece)
    except OSError:
        _stop(child)
        return b""
    os.close(reader)
    _, status = os.waitpid(pid, 0)
    return b"".join(pieces) if os.waitstatus_to_exitcode(status) == 0 else b""


def _stop(child: tuple[int, int]) -> None:
    """End a child whose read is no longer wanted, and reap it."""
    pid, reader = child
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    os.close(reader)
    os.waitpid(pid, 0)


# -- the image as plain values ------------------------------------------------------------------

def encode(base: LayerDigests | None, image: Image) -> bytes:
    """Marshal's bytes of the base digests and the image, as plain tuples (version 2, as the
    cache writes: twice as fast as later versions both ways)."""
    try:  # readers make kinds plain ints already
        return _marshal(base, image, lambda files: list(map(tuple, files)))
    except ValueError:  # an EntryKind member, built by hand: marshal wants the int
        return _marshal(base, image, lambda files: [(f[0], int(f[1]), *f[2:]) for f in files])


def _marshal(base: LayerDigests | None, image: Image, rows: Callable[[tuple], list]) -> bytes:
    plain = None if base is None else (base.ref, base.diff_ids, base.history_length)
    history = [(h.created_by, h.empty_layer, h.created, h.comment) for h in image.history]
    layers = [(layer.index, layer.diff_id, rows(layer.files), layer.size, layer.media_type,
               layer.compressed_size, dict(layer.captured)) for layer in image.layers]
    return marshal.dumps((plain, image.ref, image.image_id, image.repo_tags, image.architecture,
                          image.os, history, layers), 2)


def decode(payload: bytes) -> tuple[LayerDigests | None, Image]:
    """encode's base digests and image back."""
    plain, ref, image_id, tags, architecture, system, history, layers = marshal.loads(payload)
    make = functools.partial(tuple.__new__, FileEntry)
    base = None if plain is None else LayerDigests(*plain)
    image = Image(
        ref=ref, image_id=image_id, repo_tags=tags, architecture=architecture, os=system,
        history=tuple(HistoryEntry(*entry) for entry in history),
        layers=tuple(Layer(index=index, diff_id=diff_id, files=tuple(map(make, rows)), size=size,
                           media_type=media_type, compressed_size=compressed, captured=captured)
                     for index, diff_id, rows, size, media_type, compressed, captured in layers))
    return base, image
