"""commands.read_apart: an image read by a forked child while this process works, sent back
whole; read here when the child fails, is too slow, or may not be used. Real forks, real
archives read by the real sources."""

from __future__ import annotations

import os
import time

import pytest

from layerscope.commands.read_apart import decode, encode, read_apart, spare_core
from layerscope.commands.reading import ReadingOptions, read_image, reading_for
from layerscope.errors import SourceError
from layerscope.model import EntryKind, FileEntry, LayerDigests
from tests.analysis.conftest import build_image
from tests.imagebuilder import (
    ImageSpec,
    Step,
    directory,
    file,
    hardlink,
    symlink,
    whiteout,
    write_docker_archive,
)

SPEC = ImageSpec(steps=(
    Step("ADD rootfs /", (directory("/etc"), file("/etc/passwd", b"root:x:0:0\n"),
                          symlink("/bin", "usr/bin"), file("/usr/bin/sh", b"s" * 900, mode=0o755))),
    Step("CMD [\"sh\"]", None),
    Step("RUN apt-get install", (file("/var/lib/dpkg/status", b"Package: sh\n\n"),
                                 hardlink("/usr/bin/ash", "/usr/bin/sh"),
                                 file("/etc/passwd", b"root:x:0:0\nme:x:1:1\n", uid=1, gid=2))),
    Step("RUN rm -rf /etc", (whiteout("/etc"),)),
))
BASE = LayerDigests("base:1", ("sha256:" + "a" * 64,), 2)


@pytest.fixture
def archive(tmp_path):
    """(the archive's path, its image as the sources read it here)."""
    path = str(write_docker_archive(SPEC, tmp_path / "image.tar"))
    options = ReadingOptions(no_cache=True, quiet=True)
    cache, reading = reading_for(options)
    return path, read_image(path, options, None, cache, reading)


def reader(path: str, log):
    """A read of the archive that records, in `log` (a file), which process read it and with
    what progress line; it can be made to fail, or to cost `spin` seconds of CPU more."""
    def read(progress, *, fail=False, spin=0.0):
        with open(log, "a") as out:
            out.write(f"{os.getpid()} {'progress' if progress else 'none'}\n")
        if fail:
            raise SourceError("the child cannot read it")
        started = time.process_time()
        while time.process_time() - started < spin:  # a read that costs CPU
            pass
        options = ReadingOptions(no_cache=True, quiet=True)
        cache, reading = reading_for(options)
        return BASE, read_image(path, options, progress, cache, reading)
    return read


class Progress(list):
    """A progress line that keeps what it was told."""

    def __call__(self, message: str) -> None:
        self.append(message)

    def __bool__(self) -> bool:
        return True


def busy() -> None:
    """0.3 s of CPU here: the child may take as long again to send (a read of SPEC takes
    a few ms)."""
    started = time.process_time()
    while time.process_time() - started < 0.3:
        pass


def readers(log) -> list[tuple[int, str]]:
    lines = open(log).read().split("\n")[:-1] if os.path.exists(log) else []
    return [(int(pid), shown) for pid, shown in (line.split(" ", 1) for line in lines)]


def test_the_image_and_base_come_back_whole(archive):
    _, image = archive
    assert image.layers[1].captured == {"/var/lib/dpkg/status": b"Package: sh\n\n"}
    assert decode(encode(BASE, image)) == (BASE, image)
    assert decode(encode(None, image)) == (None, image)
    # the reader's kinds are plain ints; an image built by hand may hold EntryKind members
    built = build_image(("ADD x /", [file("/x", b"12345")]), ("CMD x", None))
    layer = built.layers[0]
    by_hand = FileEntry("/y", EntryKind.SYMLINK, 1, link_target="x")
    built = type(built)(built.ref, built.image_id, built.repo_tags, built.architecture, built.os,
                        built.history, (type(layer)(0, layer.diff_id, (*layer.files, by_hand),
                                                    layer.size + 1, captured={"/s": b"P"}),))
    assert decode(encode(None, built)) == (None, built)


def test_a_child_reads_while_this_process_works(archive, tmp_path):
    path, image = archive
    log = tmp_path / "log"
    worked = []
    progress = Progress()

    def work():
        worked.append(os.getpid())
        busy()

    result = read_apart(reader(path, log), work, progress)[:2]
    assert result == (BASE, image)
    assert worked == [os.getpid()]
    (pid, shown), = readers(log)  # read once, by another process, without a progress line
    assert pid != os.getpid() and shown == "none" and progress == []


def test_a_child_that_fails_costs_a_read_here(archive, tmp_path):
    path, image = archive
    log = tmp_path / "log"
    here = os.getpid()
    read = reader(path, log)

    def fails_apart(progress):
        return read(progress, fail=os.getpid() != here)

    progress = Progress()
    assert read_apart(fails_apart, busy, progress)[:2] == (BASE, image)
    assert readers(log) == [(readers(log)[0][0], "none"), (here, "progress")]
    assert readers(log)[0][0] != here
    assert len(progress) == len(image.layers)  # the read here shows its progress


def test_a_child_too_slow_is_stopped_and_the_image_read_here(archive, tmp_path):
    path, image = archive
    log = tmp_path / "log"
    here = os.getpid()
    read = reader(path, log)

    def stalls_apart(progress):  # a minute of CPU in the child
        return read(progress, spin=60.0 if os.getpid() != here else 0.0)

    def work():  # 0.3 s of CPU here: the child may use 0.6 s, not a minute
        busy()
        while not readers(log):
            time.sleep(0.01)

    started = time.monotonic()
    assert read_apart(stalls_apart, work, Progress())[:2] == (BASE, image)
    assert time.monotonic() - started < 30  # not waited for
    child = next(pid for pid, _ in readers(log) if pid != here)
    with pytest.raises(ProcessLookupError):  # stopped and reaped
        os.kill(child, 0)


def test_nothing_is_forked_when_not_asked(archive, tmp_path):
    path, image = archive
    log = tmp_path / "log"
    assert read_apart(reader(path, log), lambda: None, Progress(), apart=False)[:2] == (BASE, image)
    assert readers(log) == [(os.getpid(), "progress")]


def test_work_that_fails_here_stops_the_child(archive, tmp_path):
    path, _ = archive
    log = tmp_path / "log"
    here = os.getpid()
    read = reader(path, log)

    def stalls_apart(progress):
        return read(progress, spin=60.0 if os.getpid() != here else 0.0)

    def work():
        while not readers(log):  # the child is reading
            time.sleep(0.01)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        read_apart(stalls_apart, work)
    (child, _), = readers(log)
    assert child != here
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


def test_the_child_works_out_more_once_it_has_sent_the_image(archive, tmp_path):
    path, image = archive
    log = tmp_path / "log"

    def then(base, image):
        return os.getpid(), base, len(image.layers)

    got_base, got_image, later = read_apart(reader(path, log), busy, Progress(), then=then)
    assert (got_base, got_image) == (BASE, image)
    (child, _), = readers(log)
    assert later() == (child, BASE, len(image.layers)) and child != os.getpid()
    with pytest.raises(ProcessLookupError):  # reaped once its last message is taken
        os.kill(child, 0)


def test_what_the_child_fails_to_work_out_is_none(archive, tmp_path):
    path, image = archive

    def then(base, image):
        raise SourceError("cannot")

    got_base, got_image, later = read_apart(reader(path, tmp_path / "log"), busy, Progress(),
                                            then=then)
    assert (got_base, got_image, later()) == (BASE, image, None)
    # read here, there is nothing more
    assert read_apart(reader(path, tmp_path / "log"), busy, Progress(), then=then,
                      apart=False)[2]() is None


def test_a_spare_core_is_one_no_other_process_runs_on():
    # /proc/loadavg's fourth field: runnable processes (this one among them) / all
    assert spare_core("0.52 0.61 0.70 1/180 4242\n", cores=2)
    assert not spare_core("1.52 1.61 1.70 2/180 4242\n", cores=2)
    assert spare_core("3.10 3.00 2.90 3/180 4242\n", cores=4)
    assert not spare_core("0.00 0.00 0.00 1/180 4242\n", cores=1)
    assert not spare_core("garbage", cores=2)
    assert spare_core() in (True, False)  # this machine's, whatever it is doing
