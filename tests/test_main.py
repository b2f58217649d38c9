"""The command line as a user runs it: exit codes, one-line errors, JSON output, --output."""

import json
import os
import subprocess
import sys
import tarfile

import pytest

from tests.imagebuilder import ImageSpec, Step, file, whiteout, write_docker_archive, write_oci_layout

SPEC = ImageSpec(
    (Step("COPY a /a", (file("/a", "a" * 10),)), Step("RUN rm /a", (file("/b", "b"),)))
)


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "layerscope", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_good_archive_gives_a_json_report(tmp_path):
    result = run("inspect", "--format", "json", write_docker_archive(SPEC, tmp_path / "i.tar"))
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["schema"] == "layerscope/inspect/v1"


def bad_inputs(tmp_path):
    (tmp_path / "empty.tar").write_bytes(b"")
    (tmp_path / "junk.tar").write_bytes(b"not a tar\n" * 100)
    with tarfile.open(tmp_path / "plain.tar", "w") as tar:
        tar.add(__file__, arcname="readme.txt")
    layout = write_oci_layout(SPEC, tmp_path / "lay")
    for blob in (layout / "blobs/sha256").iterdir():
        data = blob.read_bytes()
        if data.startswith(b"\x1f\x8b"):
            blob.write_bytes(data[:20] + bytes(40) + data[60:])
    lz4 = write_oci_layout(SPEC, tmp_path / "lz4")
    for blob in (lz4 / "blobs/sha256").iterdir():
        blob.write_bytes(blob.read_bytes().replace(b"tar+gzip", b"tar+lz4"))
    return {
        "missing": tmp_path / "nope.tar",
        "empty": tmp_path / "empty.tar",
        "not-a-tar": tmp_path / "junk.tar",
        "no-manifest": tmp_path / "plain.tar",
        "corrupt-gzip": f"oci:{layout}",
        "unknown-media-type": f"oci:{lz4}",
        "registry": "docker://alpine",
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "empty",
        "not-a-tar",
        "no-manifest",
        "corrupt-gzip",
        "unknown-media-type",
        "registry",
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(tmp_path, case):
    result = run("inspect", bad_inputs(tmp_path)[case])
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0].startswith("layerscope: error: ")
    assert "Traceback" not in result.stderr


def test_output_file_is_written_and_stdout_stays_empty(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("old")
    result = run(
        "inspect",
        "--format",
        "json",
        "--output",
        out,
        write_docker_archive(SPEC, tmp_path / "i.tar"),
    )
    assert (result.returncode, result.stdout) == (0, "")
    assert json.loads(out.read_text())["schema"] == "layerscope/inspect/v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i.tar", "report.json"]  # no temp left


def test_failed_run_leaves_an_existing_output_file_alone(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("old")
    result = run("inspect", "--output", out, tmp_path / "nope.tar")
    assert result.returncode == 2
    assert out.read_text() == "old"


def test_unknown_option_is_one_error_line(tmp_path):
    result = run("inspect", "--frobnicate", "x.tar")
    assert (result.returncode, result.stdout) == (2, "")
    lines = result.stderr.splitlines()
    assert lines[0] == "layerscope: error: unrecognized arguments: --frobnicate"
    assert all(not line.startswith("layerscope: error") for line in lines[1:])


def test_version():
    result = run("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, "layerscope 0.1.0\n", "")


def test_output_to_a_pipe_writes_into_it_and_leaves_it_a_pipe(tmp_path):
    import os
    import stat
    import threading

    good_archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = run("inspect", str(good_archive), "--format", "json", "--output", str(fifo))
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # never replaced by a regular file
    assert json.loads(received[0])["schema"] == "layerscope/inspect/v1"


def test_output_replacing_a_report_keeps_its_mode(tmp_path):
    good_archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o640)
    result = run("inspect", str(good_archive), "--format", "json", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    assert json.loads(target.read_text())["schema"] == "layerscope/inspect/v1"


def test_a_repeat_inspect_reads_no_layer(tmp_path):
    """The second run is served from the report cache: it needs the config, not the layers."""
    archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    first = run("inspect", "--format", "json", archive)
    assert first.returncode == 0, first.stderr
    with tarfile.open(archive) as tar:
        layer = next(m for m in tar.getmembers() if m.name.endswith("layer.tar") and m.isreg())
    with open(archive, "r+b") as handle:  # wreck the first layer's bytes, not the config
        handle.seek(layer.offset_data)
        handle.write(b"\xff" * 512)
    second = run("inspect", "--format", "json", archive)
    assert (second.returncode, second.stdout) == (0, first.stdout)
    uncached = run("inspect", "--format", "json", "--no-cache", archive)
    assert uncached.returncode == 2 and "layer" in uncached.stderr


def test_no_arguments_prints_the_help():
    result = run()
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("usage: layerscope ")
    for command in ("inspect", "diff", "check", "advise", "cache"):
        assert f"    {command} " in result.stdout


@pytest.mark.parametrize("args, meant, command", [
    (["inspect", "{archive}", "--fromat", "json"], "--format", "inspect"),
    (["diff", "{archive}", "{archive}", "--exitcode"], "--exit-code", "diff"),
    (["check", "{archive}", "--max-sise=3MB"], "--max-size", "check"),
])
def test_a_misspelt_option_names_the_one_meant_and_the_commands_help(tmp_path, args, meant,
                                                                     command):
    archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    result = run(*(str(archive) if a == "{archive}" else a for a in args))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[1] == f"hint: did you mean {meant}? see `layerscope {command} --help`"


def test_dash_output_is_stdout(tmp_path):
    archive = write_docker_archive(SPEC, tmp_path / "i.tar")
    result = run("inspect", archive, "-o", "-", "--format", "json", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["schema"] == "layerscope/inspect/v1"
    assert not (tmp_path / "-").exists()
    result = run("diff", archive, archive, "--output", "-", "--format", "json", cwd=tmp_path)
    assert json.loads(result.stdout)["summary"]["identical"] is True
    assert not (tmp_path / "-").exists()


def test_a_socket_path_in_docker_host_suggests_unix_url(tmp_path):
    result = subprocess.run([sys.executable, "-m", "layerscope", "inspect", "size:v1"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "DOCKER_HOST": str(tmp_path / "docker.sock")})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"layerscope: error: cannot reach the Docker engine at {tmp_path / 'docker.sock'}",
        f"hint: DOCKER_HOST is a socket path: write it as a URL, "
        f"DOCKER_HOST=unix://{tmp_path / 'docker.sock'}"]


WASTEFUL = ImageSpec((
    Step("COPY src /", (file("/tmp/x.tgz", "t" * 8), file("/usr/lib/a.so.1", "a" * 5))),
    Step("RUN rm /tmp/x.tgz", (whiteout("/tmp/x.tgz"),)),
    Step("RUN build", (file("/usr/lib/a.so.1", "A" * 6),)),
))


def test_inspect_path_lists_the_waste_the_glob_covers(tmp_path):
    """8 bytes of /tmp/x.tgz removed and 5 of /usr/lib/a.so.1 overwritten: --path '/usr/**/*.so.*'
    keeps the 5-byte file, '/tmp' the tarball, '/usr/*.so.*' nothing; the headline stays 13."""
    archive = write_docker_archive(WASTEFUL, tmp_path / "w.tar")
    for glob, paths in (("/usr/**/*.so.*", ["/usr/lib/a.so.1"]), ("/tmp", ["/tmp/x.tgz"]),
                        ("/usr/*.so.*", [])):
        result = run("inspect", archive, "--path", glob, "--format", "json")
        document = json.loads(result.stdout)
        assert [w["path"] for w in document["wasted"]] == paths
        assert document["image"]["wasted_bytes"] == 13
        assert document["path_filter"] == {
            "glob": glob, "wasted_files": len(paths),
            "wasted_bytes": {"/usr/lib/a.so.1": 5, "/tmp/x.tgz": 8}.get(paths[0], 0) if paths else 0}
    text = run("inspect", archive, "--path", "/usr/*.so.*").stdout.splitlines()
    assert "Wasted bytes under /usr/*.so.*: none (--path; docs/globs.md)." in text
    text = run("inspect", archive, "--path", "/tmp").stdout.splitlines()
    assert "Wasted bytes under /tmp, largest first (1 of 1 groups, 1 files, 8 B)" in text
