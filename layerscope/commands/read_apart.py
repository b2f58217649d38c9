"""Read an image in a forked process while this one does other work: `explore` imports Textual.

On size:v1 Textual's import (~0.09 s of CPU), reading the image (~0.1 s) and the advice rules
(~0.06 s) are each a fifth to a quarter of what the explorer costs to its first screen. All are
Python holding the GIL, so a thread cannot overlap them (tried: nothing gained), but a second
process can. The child reads the image; a grandchild sends it back as plain tuples in marshal's
format (size:v1, 22k entries and 6 MB of package databases: 12 ms to encode there, 11 ms to
decode here) while the child works out what it is asked to next from its own copy (`then`: the
findings, sent pickled once the image is sent). This process imports meanwhile, then decodes
and analyses the image and goes on with it until it asks for `then`'s result.

Sending costs about 1.4 us an entry (0.8 us of it here), so it pays only while the read is
short: a child that has used, without sending the image, as much CPU time as twice this
process's work took is stopped, and the image is read here, as it would have been without the
child (a large image loses the wait, ~0.1 s; many-small's 1,000,000 entries are read here).
CPU time, not wall: on a busy machine both wait for a core (and the caller forks only with a
core to spare: `spare_core`). A child that fails in any way (an error in the image, a refused
fork, a signal) costs only time: the read or the work here raises what is to be said. The child
shows no progress line (its read is short, or not kept).
"""

from __future__ import annotations

import functools
import marshal
import os
import pickle
import select
import signal
import struct
import sys
import time
from collections.abc import Callable

from ..model import FileEntry, HistoryEntry, Image, Layer, LayerDigests

WAIT = 1.0
"""The CPU time the child may use before it sends the image, beyond as much as this process's
work took, as a share of that work's: size:v1's read is sent after 0.10-0.12 s of the child's
CPU, against a budget of 0.18 s (Textual's import, 0.09 s, twice)."""

CHUNK = 1 << 20
POLL = 0.005
"""Seconds between two looks at the child's CPU time while waiting for it."""
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

Read = Callable[[object], tuple[LayerDigests | None, Image]]
"""Reads (base digests, image), showing its progress on the given progress line (or None)."""
Then = Callable[[LayerDigests | None, Image], object]
"""What the child works out from the image once it has sent it (explore: the findings)."""
LENGTH = struct.Struct("<Q")
"""Each message on the pipe: its length, then its bytes."""


def read_apart(read: Read, meanwhile: Callable[[], object], progress=None, *,
               then: Then | None = None, apart: bool = True,
               ) -> tuple[LayerDigests | None, Image, Callable[[], object | None]]:
    """(base digests, image, later): the first two as `read` returns them, read by a forked
    child (with no progress line) while `meanwhile` runs here, when `apart` and a fork is safe
    and can help; read here with `progress` otherwise, or when the child fails or is too slow.
    later() is what `then` returned in the child, which works it out while this process goes
    on; None when there is no child (or it failed): work it out here."""
    child = _Child.start(read, then) if apart and _may_fork() else None
    work = time.process_time()
    try:
        meanwhile()
        if child is not None:
            payload = child.receive((1 + WAIT) * (time.process_time() - work))
            if payload is not None:
                base, image = decode(payload)
                if then is None:
                    return base, image, _nothing  # the child is ended below
                later, child = child.later, None
                return base, image, later
    finally:
        if child is not None:  # failed, too slow, or meanwhile() was interrupted
            child.end()
    return (*read(progress), _nothing)


def _nothing() -> None:
    return None


def spare_core(loadavg: str | None = None, cores: int | None = None) -> bool:
    """True when a core is free for a child right now: no process runs but this one, or fewer
    than the cores it may use (Linux's /proc/loadavg counts the runnable ones, this one with
    them). On a busy machine the child's read would wait for a core this process could have
    read on, and what the child costs more (its copy of the analysis, the sending) would be
    paid in wall time."""
    try:
        if loadavg is None:
            with open("/proc/loadavg") as file:
                loadavg = file.read()
        running = int(loadavg.split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return False
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return running < cores


def _may_fork() -> bool:
    """A fork is safe with no other thread running, of use with a second core, and watched
    through Linux's /proc."""
    import threading

    return (sys.platform == "linux" and (os.cpu_count() or 1) >= 2
            and threading.active_count() == 1)


class _Child:
    """A forked child reading the image, and our end of its pipe."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid = pid
        self.pipe: int | None = pipe

    @classmethod
    def start(cls, read: Read, then: Then | None) -> _Child | None:
        """The child reading, or None when none could be started."""
        for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice
            if stream is not None:
                stream.flush()
        try:
            reader, writer = os.pipe()
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            return None
        if pid == 0:  # the child: never runs this process's code on, whatever happens
            try:
                os.close(reader)
                _serve(writer, read, then)
            finally:
                os._exit(0)  # an error is said by this process's own read or work
        os.close(writer)
        return cls(pid, reader)

    def receive(self, budget: float | None = None) -> bytearray | None:
        """The next message; None when the child ended without sending it, or has used more
        than `budget` seconds of CPU without sending it (CPU, not wall: on a busy machine
        both processes wait for a core). Once it sends, it is taken whatever it costs."""
        if self.pipe is None:
            return None
        while budget is not None and not select.select([self.pipe], [], [], POLL)[0]:
            if self.cpu() > budget:
                return None
        head = self._exactly(LENGTH.size)
        return None if head is None else self._exactly(LENGTH.unpack(head)[0])

    def cpu(self) -> float:
        """The child's CPU seconds so far (Linux's /proc: every thread's user and system time,
        in clock ticks); 0 once it is gone, when its pipe is about to say so."""
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / TICKS

    def _exactly(self, size: int) -> bytearray | None:
        buffer = bytearray(size)
        view = memoryview(buffer)
        while view:
            try:
                got = os.readv(self.pipe, [view])
            except OSError:
                return None
            if not got:
                return None
            view = view[got:]
        return buffer

    def later(self) -> object | None:
        """`then`'s result, sent after the image; None when the child failed to."""
        try:
            payload = self.receive()
            return None if payload is None else pickle.loads(payload)
        finally:
            self.end()

    def end(self) -> None:
        """Stop the child (it may still be working) and reap it."""
        if self.pipe is None:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        os.close(self.pipe)
        self.pipe = None
        os.waitpid(self.pid, 0)


def _serve(pipe: int, read: Read, then: Then | None) -> None:
    """In the child: read, send the image, then what `then` works out from it. A grandchild
    encodes and sends the image while the child goes on (its encoding, 12 ms on size:v1, is
    then off the way to the findings), and the child sends `then`'s result once the image is
    sent, or nothing if it was not."""
    result = read(None)
    if then is None:
        _send(pipe, encode(*result))
        return
    sender = os.fork()
    if sender == 0:
        sent = False
        try:
            _send(pipe, encode(*result))
            sent = True
        finally:
            os._exit(0 if sent else 1)
    later = pickle.dumps(then(*result), pickle.HIGHEST_PROTOCOL)
    if os.waitstatus_to_exitcode(os.waitpid(sender, 0)[1]) == 0:
        _send(pipe, later)


def _send(pipe: int, payload: bytes) -> None:
    for view in (memoryview(LENGTH.pack(len(payload))), memoryview(payload)):
        while view:
            view = view[os.write(pipe, view[:CHUNK]):]


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


def decode(payload: bytes | bytearray) -> tuple[LayerDigests | None, Image]:
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
