"""Replaying a repeat inspect of an unchanged image file: same bytes, nothing read, and never a
stale output when anything the output depends on changed.

A run keeps its output only when every file it read is safely older than the run (the racily
clean rule, replay.SAFE_AGE_NS), so most tests age the files they write first."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from layerscope import fingerprint, replay
from layerscope.cli import build_parser
from tests.imagebuilder import ImageSpec, Step, file, write_docker_archive, write_oci_layout

SPEC = ImageSpec((Step("COPY a /a", (file("/a", "a" * 10),)), Step("RUN rm /a", (file("/b", "b"),))))
OTHER = ImageSpec((Step("COPY a /a", (file("/a", "A" * 99),)),))
# the same shape as SPEC with other bytes: its archive has SPEC's size (members pad to 512)
SAME_SIZE = ImageSpec((Step("COPY a /a", (file("/a", "z" * 10),)), Step("RUN rm /a", (file("/b", "y"),))))
HOUR_AGO_NS = (int(time.time()) - 3600) * 10**9


def aged(path, when_ns: int = HOUR_AGO_NS):
    """Give a file, or every file under a directory, a modification time `when_ns`."""
    paths = [path] if os.path.isfile(path) else [
        os.path.join(d, name) for d, _, names in os.walk(path) for name in names]
    for each in paths:
        os.utime(each, ns=(when_ns, when_ns))
    return path

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
    archive = aged(write_docker_archive(SPEC, tmp_path / "i.tar"))
    first, how_first = run("inspect", archive, "--format", "json", "-q")
    second, how_second = run("inspect", archive, "--format", "json", "-q")
    assert (how_first, how_second) == ("read", "replayed")
    assert second == first and b'"schema": "layerscope/inspect/v1"' in first


def test_an_oci_layout_replays_until_its_index_changes(tmp_path):
    layout = aged(write_oci_layout(SPEC, tmp_path / "layout"))
    first, _ = run("inspect", f"oci:{layout}")
    assert run("inspect", f"oci:{layout}") == (first, "replayed")
    aged(write_oci_layout(OTHER, layout))  # same directory, new index.json
    changed, how = run("inspect", f"oci:{layout}")
    assert how == "read" and changed != first


def test_a_rewritten_archive_is_read_again(tmp_path):
    archive = aged(write_docker_archive(SPEC, tmp_path / "i.tar"))
    first, _ = run("inspect", archive, "--format", "json")
    aged(write_docker_archive(OTHER, archive))
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
    archive = aged(write_docker_archive(SPEC, tmp_path / "i.tar"))
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
    assert key is not None and len(key.name) == 32


def test_the_key_follows_the_working_directory_and_the_file(tmp_path):
    archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    key = replay.replay_key(["inspect", str(archive)]).name
    assert replay.replay_key(["inspect", str(archive)]).name == key
    os.utime(archive, ns=(1, 1))
    assert replay.replay_key(["inspect", str(archive)]).name != key


def test_the_replayable_options_are_the_parsers_own():
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    actions = {option: action for action in commands.choices["inspect"]._actions
               for option in action.option_strings}
    for option in replay.VALUE_OPTIONS:
        assert actions[option].nargs is None and not isinstance(actions[option], argparse._StoreTrueAction)
    for option in replay.FLAG_OPTIONS:
        assert actions[option].nargs == 0


# ------------------------------------------------------------ racily clean (issue 13, item 1a)

# A filesystem that keeps whole seconds, where a rewrite within the second keeps every field of
# the stat identity: the change time is made the (floored) modification time, which os.utime
# sets, so the only thing left to tell the rewrite apart is the racily clean rule.
COARSE = PROBE.replace("import sys; ", """import os, sys
real_stat = os.stat
def coarse_stat(path, *args, **kwargs):
    info = real_stat(path, *args, **kwargs)
    second = info.st_mtime_ns // 10**9
    fields = list(info[:10])
    fields[8] = fields[9] = second
    return os.stat_result(fields, {"st_mtime": float(second), "st_ctime": float(second),
                                   "st_mtime_ns": second * 10**9, "st_ctime_ns": second * 10**9})
os.stat = coarse_stat
""", 1)


def coarse_run(*args):
    result = subprocess.run([sys.executable, "-c", COARSE, *map(str, args)], capture_output=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout, result.stderr.decode().strip()


@pytest.mark.parametrize("age_seconds, replayed", [(0, False), (60, True)])
def test_a_same_size_rewrite_in_the_same_second_is_never_replayed(tmp_path, isolated_cache,
                                                                   age_seconds, replayed):
    """The archive is written, read, rewritten in place to the same size with the same
    modification time. Written just now (age 0) the first run's entry was racy and is not kept,
    so the rewrite is read; written a minute before the run, the entry is kept and, with every
    identity field equal, the repeat is replayed (what a stat identity can tell, and no more)."""
    archive = tmp_path / "i.tar"
    when = (time.time_ns() // 10**9 - age_seconds) * 10**9
    aged(write_docker_archive(SPEC, archive), when)
    before = os.stat(archive)
    first, how = coarse_run("inspect", archive, "--format", "json")
    assert how == "read" and b'"size": 11,' in first
    assert bool(list((isolated_cache / replay.DIRECTORY).glob("*"))) is replayed
    aged(write_docker_archive(SAME_SIZE, archive), when)
    after = os.stat(archive)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size,
                                                                before.st_mtime_ns)
    second, how = coarse_run("inspect", archive, "--format", "json")
    fresh, _ = run("inspect", archive, "--format", "json", "--no-cache")
    if replayed:
        assert (second, how) == (first, "replayed")
    else:
        assert (second, how) == (fresh, "read") and second != first


def test_an_entry_is_trusted_only_for_files_older_than_its_run(tmp_path):
    archive = aged(write_docker_archive(SPEC, tmp_path / "i.tar"))
    info = os.stat(archive)
    identity = (str(archive), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
                info.st_ctime_ns)
    entry = tmp_path / "entry"
    for started, trusted in [(info.st_mtime_ns + replay.SAFE_AGE_NS + 1, True),
                             (info.st_mtime_ns + replay.SAFE_AGE_NS, False),
                             (info.st_mtime_ns, False)]:
        entry.write_bytes(replay.entry(started, [identity], b"report"))
        assert replay.load_entry(str(entry)) == (b"report" if trusted else None)
    entry.write_bytes(replay.entry(time.time_ns(), [], b"report"))  # lists nothing: no trust
    assert replay.load_entry(str(entry)) is None


# -------------------------------------------------- every file the output was read from (1b)

def run_status(*args):
    result = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True,
                            timeout=120)
    return result.returncode, result.stdout, result.stderr.decode()


def test_a_layout_without_its_blobs_fails_as_a_first_run_does(tmp_path):
    layout = aged(write_oci_layout(SPEC, tmp_path / "layout"))
    first, _ = run("inspect", f"oci:{layout}")
    assert run("inspect", f"oci:{layout}") == (first, "replayed")
    index = (layout / "index.json").read_bytes()
    for blob in (layout / "blobs" / "sha256").iterdir():
        if blob.name not in index.decode() and b'"rootfs"' not in blob.read_bytes():
            blob.unlink()  # not the manifest (index.json names it) nor the config: the layers
    code, output, stderr = run_status("inspect", f"oci:{layout}")
    no_cache = run_status("inspect", f"oci:{layout}", "--no-cache")
    assert (code, output) == (2, b"") and stderr.endswith("read\n")
    assert stderr.splitlines()[:-1] == no_cache[2].splitlines()[:-1]
    assert "is missing from the layout" in stderr and no_cache[0] == 2


def test_a_changed_layer_blob_of_a_layout_is_read_again(tmp_path):
    """index.json and the manifest unchanged: the blob's own identity keys the output."""
    layout = aged(write_oci_layout(SPEC, tmp_path / "layout"))
    first, _ = run("inspect", f"oci:{layout}")
    config_or_manifest = (layout / "index.json").read_text()
    [layer, *_] = [b for b in (layout / "blobs" / "sha256").iterdir()
                   if b.name not in config_or_manifest and b.read_bytes()[:2] == b"\x1f\x8b"]
    layer.write_bytes(layer.read_bytes())  # the same bytes again: a new change time
    aged(layer)
    assert run("inspect", f"oci:{layout}") == (first, "read")


def write_dir_layout(spec, directory):
    """containers/image's dir: layout of a spec (as `skopeo copy ... dir:` writes it): the OCI
    layout's manifest as manifest.json, every blob named by its hex, and a version file."""
    layout = write_oci_layout(spec, directory.parent / (directory.name + "-oci"))
    [manifest] = json.loads((layout / "index.json").read_text())["manifests"]
    blobs = layout / "blobs" / "sha256"
    directory.mkdir(exist_ok=True)
    for blob in blobs.iterdir():
        shutil.copyfile(blob, directory / blob.name)
    (directory / "manifest.json").write_bytes(
        (blobs / manifest["digest"].removeprefix("sha256:")).read_bytes())
    (directory / "version").write_text("Directory Transport Version: 1.1\n")
    shutil.rmtree(layout)
    return directory


def test_a_dir_layout_replays_until_its_manifest_or_a_layer_changes(tmp_path):
    layout = aged(write_dir_layout(SPEC, tmp_path / "dir"))
    first, how = run("inspect", f"dir:{layout}")
    assert how == "read" and b"COPY a /a" in first
    assert run("inspect", f"dir:{layout}") == (first, "replayed")
    listed = open_source_files(f"dir:{layout}")
    manifest = json_of(layout / "manifest.json")
    layers = [str(layout / d["digest"].removeprefix("sha256:")) for d in manifest["layers"]]
    assert set(listed) == {str(layout / "manifest.json"), str(layout / "version"),
                           str(layout / manifest["config"]["digest"].removeprefix("sha256:")),
                           *layers}
    blob = layout / manifest["layers"][0]["digest"].removeprefix("sha256:")
    blob.write_bytes(blob.read_bytes())  # the same bytes again: a new change time
    aged(blob)
    assert run("inspect", f"dir:{layout}") == (first, "read")
    aged(write_dir_layout(OTHER, layout))  # same directory, new manifest.json
    changed, how = run("inspect", f"dir:{layout}")
    assert how == "read" and changed != first


def open_source_files(reference):
    from layerscope.sources.reference import open_source

    return open_source(reference).local_files()


def json_of(path):
    return json.loads(path.read_text())


def test_the_files_a_source_lists(tmp_path):
    from layerscope.sources.reference import open_source

    layout = write_oci_layout(SPEC, tmp_path / "layout")
    files = open_source(f"oci:{layout}").local_files()
    blobs = sorted(str(p) for p in (layout / "blobs" / "sha256").iterdir())
    assert files[0] == str(layout.resolve() / "index.json") and sorted(files[1:]) == blobs
    archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    assert open_source(str(archive)).local_files() == (str(archive),)


# ------------------------------------------------------------ the code fingerprint (1c)

def test_the_fingerprint_covers_the_shaping_libraries_and_python(tmp_path, monkeypatch):
    installed = fingerprint.library_versions(fingerprint.SHAPING_LIBRARIES)
    assert {os.path.basename(p).split("-")[0] for p in installed} >= {"humanize", "tabulate"}
    base = fingerprint.code_fingerprint()
    (tmp_path / "humanize-0.1.dist-info").mkdir()  # another humanize on the import path
    monkeypatch.syspath_prepend(str(tmp_path))
    upgraded = fingerprint.code_fingerprint()
    monkeypatch.setattr(sys, "version", sys.version + " (patched)")
    assert len({base, upgraded, fingerprint.code_fingerprint()}) == 3
