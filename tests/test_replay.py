"""Replaying a repeat inspect of an unchanged image file: same bytes, nothing read, and never a
stale output when anything the output depends on changed."""

import argparse
import os
import subprocess
import sys

import pytest

from layerscope import replay
from layerscope.cli import build_parser
from tests.imagebuilder import ImageSpec, Step, file, write_docker_archive, write_oci_layout

SPEC = ImageSpec((Step("COPY a /a", (file("/a", "a" * 10),)), Step("RUN rm /a", (file("/b", "b"),))))
OTHER = ImageSpec((Step("COPY a /a", (file("/a", "A" * 99),)),))

# Runs main() and reports on stderr whether it imported the analysis (it always does when
# it reads an image).
PROBE = ("import sys; from layerscope.__main__ import main; code = main(sys.argv[1:]); "
         "sys.stdout.flush(); "
         "print('read' if 'layerscope.analysis.merge' in sys.modules else 'replayed', "
         "file=sys.stderr); sys.exit(code)")


def run(*args, cwd=None):
    result = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True,
                            cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout, result.stderr.decode().strip()


def test_a_repeat_inspect_replays_the_same_bytes_without_reading_the_image(tmp_path):
    archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    first, how_first = run("inspect", archive, "--format", "json", "-q")
    second, how_second = run("inspect", archive, "--format", "json", "-q")
    assert (how_first, how_second) == ("read", "replayed")
    assert second == first and b'"schema": "layerscope/inspect/v1"' in first


def test_an_oci_layout_replays_until_its_index_changes(tmp_path):
    layout = write_oci_layout(SPEC, tmp_path / "layout")
    first, _ = run("inspect", f"oci:{layout}")
    assert run("inspect", f"oci:{layout}") == (first, "replayed")
    write_oci_layout(OTHER, layout)  # same directory, new index.json
    changed, how = run("inspect", f"oci:{layout}")
    assert how == "read" and changed != first


def test_a_rewritten_archive_is_read_again(tmp_path):
    archive = tmp_path / "i.tar"
    write_docker_archive(SPEC, archive)
    first, _ = run("inspect", archive, "--format", "json")
    write_docker_archive(OTHER, archive)
    changed, how = run("inspect", archive, "--format", "json")
    assert how == "read" and changed != first
    fresh, _ = run("inspect", archive, "--format", "json", "--no-cache")
    assert changed == fresh


def test_options_are_part_of_the_key(tmp_path):
    archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    json_output, _ = run("inspect", archive, "--format", "json")
    text_output, how = run("inspect", archive, "--format", "text")
    assert how == "read" and text_output != json_output


def test_a_damaged_stored_output_is_not_replayed(tmp_path, isolated_cache):
    archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    first, _ = run("inspect", archive)
    [stored] = (isolated_cache / replay.DIRECTORY).iterdir()
    data = bytearray(stored.read_bytes())
    data[-2] ^= 0xFF
    stored.write_bytes(bytes(data))
    again, how = run("inspect", archive)
    assert (again, how) == (first, "read")


@pytest.mark.parametrize("arguments", [
    ["inspect", "size:v1"],                      # an engine tag can move with no file changing
    ["inspect", "docker-daemon:{archive}"],
    ["inspect", "{archive}", "-o", "out.json"],
    ["inspect", "{archive}", "--no-cache"],
    ["inspect", "{archive}", "--verify"],
    ["inspect", "{archive}", "--debug"],
    ["inspect", "{archive}", "--form", "json"],  # an abbreviation: only exact spellings replay
    ["inspect", "{archive}", "-qo", "out"],
    ["inspect", "{archive}", "--base", "debian:12"],
    ["inspect", "{archive}", "--top"],
    ["inspect", "{missing}"],
    ["diff", "{archive}", "{archive}"],
    ["check", "{archive}"],
    [],
])
def test_what_is_never_replayed(tmp_path, arguments):
    archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    values = {"archive": archive, "missing": tmp_path / "nope.tar"}
    assert replay.replay_key([a.format(**values) for a in arguments]) is None


@pytest.mark.parametrize("arguments", [
    ["inspect", "{archive}"],
    ["inspect", "docker-archive:{archive}", "--format=json", "--top", "3", "-q", "--packages"],
    ["inspect", "{archive}", "--base", "{archive}", "--platform", "linux/amd64", "--no-progress"],
    ["inspect", "oci:{layout}", "--max-ratio", "10"],
    ["inspect", "{layout}"],
])
def test_what_is_replayed(tmp_path, arguments):
    archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    layout = write_oci_layout(SPEC, tmp_path / "layout")
    key = replay.replay_key([a.format(archive=archive, layout=layout) for a in arguments])
    assert key is not None and len(key) == 32


def test_the_key_follows_the_working_directory_and_the_file(tmp_path):
    archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    key = replay.replay_key(["inspect", str(archive)])
    assert replay.replay_key(["inspect", str(archive)]) == key
    os.utime(archive, ns=(1, 1))
    assert replay.replay_key(["inspect", str(archive)]) != key


def test_the_replayable_options_are_the_parsers_own():
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    actions = {option: action for action in commands.choices["inspect"]._actions
               for option in action.option_strings}
    for option in replay.VALUE_OPTIONS:
        assert actions[option].nargs is None and not isinstance(actions[option], argparse._StoreTrueAction)
    for option in replay.FLAG_OPTIONS:
        assert actions[option].nargs == 0
