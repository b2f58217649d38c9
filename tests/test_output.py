"""Where the report goes, and what happens when it cannot go there (docs/README "Exit codes"):
a reader that went away is no verdict (the command's own exit code stands, nothing on stderr);
a closed stdout and a full disk are operational errors, exit 2, naming the cause; an --output
that cannot be written fails before the image is read."""

import os
import subprocess
import sys

import pytest

from tests.imagebuilder import ImageSpec, Step, file, write_docker_archive

# one 10-byte file written and removed later: size 11, 10 bytes wasted
SPEC = ImageSpec((Step("COPY a /a", (file("/a", "a" * 10),)), Step("RUN rm /a", (file("/b", "b"),))))
CONSOLE = os.path.join(os.path.dirname(sys.executable), "layerscope")


def run(args, stdout):
    """The installed console script (the path users run), stdout as given, stderr captured."""
    return subprocess.run([CONSOLE, *map(str, args)], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=120)


@pytest.fixture
def archive(tmp_path):
    return write_docker_archive(SPEC, tmp_path / "i.tar")


def closed_pipe():
    """A pipe whose reader is already gone: every write to it breaks, deterministically."""
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize("budget, verdict", [("10GB", 0), ("5B", 1)])
def test_a_broken_pipe_leaves_the_check_verdict_as_it_is(archive, budget, verdict):
    pipe = closed_pipe()
    try:
        result = run(["check", archive, "--max-size", budget, "--no-cache"], stdout=pipe)
    finally:
        os.close(pipe)
    assert (result.returncode, result.stderr) == (verdict, "")


def test_a_broken_pipe_ends_inspect_quietly(archive):
    pipe = closed_pipe()
    try:
        result = run(["inspect", archive, "--no-cache"], stdout=pipe)
    finally:
        os.close(pipe)
    assert (result.returncode, result.stderr) == (0, "")


def test_a_closed_stdout_is_an_error_that_says_so(archive):
    result = subprocess.run(f'"{CONSOLE}" check "{archive}" --max-size 10GB --no-cache >&-',
                            shell=True, stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "layerscope: error: cannot write the report: standard output is closed")
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="Linux's /dev/full is needed")
def test_a_full_disk_is_an_error_that_names_it(archive):
    with open("/dev/full", "w") as full:
        result = run(["check", archive, "--max-size", "10GB", "--no-cache"], stdout=full)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "layerscope: error: cannot write the report to standard output: No space left on device")


def test_an_output_that_cannot_be_written_fails_before_anything_is_reported(archive, tmp_path):
    result = run(["check", archive, "--max-size", "5B", "-o", f"junit={tmp_path}/no/x.xml"],
                 stdout=subprocess.PIPE)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"layerscope: error: cannot write {tmp_path}/no/x.xml: "
                                    "no such directory")


@pytest.mark.parametrize("command", ["inspect", "advise"])
def test_an_output_into_a_directory_fails_first(archive, tmp_path, command):
    result = run([command, archive, "-o", tmp_path], stdout=subprocess.PIPE)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"layerscope: error: cannot write {tmp_path}: it is a directory")
