"""inspect's text fitted to the reader (80 columns, --wide, --no-trunc, colour, --expand), the
one-line summary, and --files' tree: exact text, every figure worked out below by hand.

The image (STORY), oldest step first:
  0  (base)   /bin/sh                                   1,000 B
  1  CMD ["sh"]                                         no layer: closes the base (heuristic)
  2  RUN apt-get update && apt-get install ... (132 characters)
              /opt/ (directory) and /opt/app.bin       100,000 B
              certifi/__pycache__/ core 30,000 + util 15,000 + main 5,000 = 50,000 B
  3  RUN chmod -R 700 /opt: /opt/ and /opt/app.bin again, same bytes, mode 0700: 100,000 B
  4  RUN rm -rf .../certifi: one whiteout, 0 B
Size 1,000 + 150,000 + 100,000 = 251,000. Dead: step 2's app.bin (metadata-only, by step 3)
and its three .pyc files (removed with their directory by step 4): 150,000 wasted, 101,000
visible. Step 3 replaced 100,000 bytes below it and removed none; step 4 removed 50,000.
"""

from __future__ import annotations

import pytest

from layerscope.analysis.image_report import analyze
from layerscope.analysis.step_files import step_files
from layerscope.formats.base import RenderOptions
from layerscope.formats.files_view import render_files
from layerscope.formats.fit import Fit
from layerscope.formats.oneline import render_inspect as render_oneline
from layerscope.formats.text import render_inspect as render_text
from tests.analysis.conftest import build_image
from tests.imagebuilder import directory, file, whiteout

CERTIFI = "usr/local/lib/python3.11/dist-packages/certifi"
INSTALL = ("RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip "
           "ca-certificates && rm -rf /var/lib/apt/lists/*")


@pytest.fixture(scope="module")
def story():
    image = build_image(
        ("", [file("bin/sh", b"s" * 1000)]),
        ('/bin/sh -c #(nop)  CMD ["sh"]', None),
        ("/bin/sh -c " + INSTALL[4:], [
            directory("opt"), file("opt/app.bin", b"a" * 100_000),
            file(f"{CERTIFI}/__pycache__/core.cpython-311.pyc", b"c" * 30_000),
            file(f"{CERTIFI}/__pycache__/util.cpython-311.pyc", b"u" * 15_000),
            file(f"{CERTIFI}/__pycache__/main.cpython-311.pyc", b"m" * 5_000)]),
        ("/bin/sh -c chmod -R 700 /opt", [directory("opt", mode=0o700),
                                          file("opt/app.bin", b"a" * 100_000, mode=0o700)]),
        (f"/bin/sh -c rm -rf /{CERTIFI}", [whiteout(CERTIFI)]),
    )
    return image, analyze(image).report


def section(text: str, first: str, count: int) -> list[str]:
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    return lines[start: start + count]


def test_80_columns_cut_the_instruction_to_what_the_figures_leave(story):
    # Columns: # 3 ("#" + tabulate's 2), base 4, Size 8, Lost later 8 ("150.0 kB"), Visible 9
    # ("Visible" + 2): 32, and 2 between each of the 6 columns: 10. The instruction gets
    # 80 - 42 = 38: its first 37 characters and "…". Every line is at most 80.
    text = render_text(story[1], RenderOptions(fit=Fit(width=80)))
    assert section(text, "  #  ", 9) == [
        "  #        Instruction                                 Size      Lost    Visible",
        "                                                                later",
        "---  ----  --------------------------------------  --------  --------  ---------",
        "  0  base  (no instruction recorded)                 1.0 kB       0 B     1.0 kB",
        '  1  base  CMD ["sh"]                                     -',
        "  2        RUN apt-get update && apt-get install…  150.0 kB  150.0 kB        0 B",
        "  3        RUN chmod -R 700 /opt                   100.0 kB       0 B   100.0 kB",
        "  4        RUN rm -rf /usr/local/lib/python3.11/…       0 B       0 B        0 B",
        "  Size: its layer (`docker history` SIZE); Lost later: bytes a later step",
    ]
    assert max(len(line) for line in text.split("\n")) <= 80


def test_kill_lines_name_how_the_bytes_died(story):
    # (2, 3): 100,000 metadata-only; (2, 4): 50,000 removed. The first is 82 characters
    # without an instruction, so it wraps and names none; the second is 40, which leaves
    # 80 - 40 - 4 = 36 for step 4's instruction: 35 characters and "…".
    text = render_text(story[1], RenderOptions(fit=Fit(width=80)))
    assert section(text, "  step 2 wrote", 3) == [
        "  step 2 wrote 100.0 kB that step 3 copied unchanged, changing only",
        "    mode/owner/times",
        "  step 2 wrote 50.0 kB that step 4 deleted: RUN rm -rf /usr/local/lib/python3.1…",
    ]


def test_wide_splits_what_a_step_did_below_it(story):
    # The chmod step deleted nothing: its 100,000 bytes below are "Replaced below", the rm
    # step's 50,000 "Removed below". Nine figure columns leave less than the minimum 24 for the
    # instruction: 23 characters and "…", the lines longer than 80 (that is --wide).
    text = render_text(story[1], RenderOptions(fit=Fit(width=80, wide=True)))
    assert section(text, "  #  ", 8) == [
        "  #        Instruction                   Size       New    Rewrote    Removed    "
        "Replaced      Lost    Visible",
        "                                                                        below       "
        "below     later",
        "---  ----  ------------------------  --------  --------  ---------  ---------  "
        "----------  --------  ---------",
        "  0  base  (no instruction recorde…    1.0 kB    1.0 kB        0 B        0 B         "
        "0 B       0 B     1.0 kB",
        '  1  base  CMD ["sh"]                       -',
        "  2        RUN apt-get update && a…  150.0 kB  150.0 kB        0 B        0 B         "
        "0 B  150.0 kB        0 B",
        "  3        RUN chmod -R 700 /opt     100.0 kB       0 B   100.0 kB        0 B    "
        "100.0 kB       0 B   100.0 kB",
        "  4        RUN rm -rf /usr/local/l…       0 B       0 B        0 B    50.0 kB         "
        "0 B       0 B        0 B",
    ]


def test_no_trunc_cuts_nothing(story):
    text = render_text(story[1], RenderOptions(fit=Fit(width=80, truncate=False)))
    row = next(line for line in text.split("\n") if line.startswith("  2  "))
    assert row == f"  2        {INSTALL}  150.0 kB  150.0 kB        0 B"
    assert f"/{CERTIFI}/ (3 files)" in text


def test_wasted_paths_cut_in_the_middle_and_expanded(story):
    # Size 8, Kind 13 ("metadata-only"), the two step columns 9 each ("by step" + 2), 4
    # gaps of 2: the path gets 80 - 47 = 33. The group's label is 58 characters: " (3 files)"
    # stays, 23 are left: "/certifi/" and the path's first 13. --top 2 lists 2 groups and
    # 2 files of each; the third file is counted. A file row is cut to 31 after its tree mark.
    text = render_text(story[1], RenderOptions(top=2, expand=True, fit=Fit(width=80)))
    assert section(text, "Wasted bytes", 9) == [
        "Wasted bytes, largest first (2 of 2 groups, 4 files)",
        "    Size  Kind           Path                                 Written    Lost to",
        "                                                              by step       step",
        "--------  -------------  ---------------------------------  ---------  ---------",
        "100.0 kB  metadata-only  /opt/app.bin                               2          3",
        " 50.0 kB  removed        /usr/local/li…/certifi/ (3 files)          2          4",
        " 30.0 kB                 ├ /usr/loca…/core.cpython-311.pyc",
        " 15.0 kB                 ├ /usr/loca…/util.cpython-311.pyc",
        "                         └ … 1 more (--top)",
    ]


def test_colour_marks_dead_bytes_on_a_terminal_only(story):
    coloured = render_text(story[1], RenderOptions(fit=Fit(width=80, colour=True)))
    row = next(line for line in coloured.split("\n") if line.startswith("  2  "))
    assert row == ("  2        RUN apt-get update && apt-get install…  150.0 kB  "
                   "\x1b[35m150.0 kB\x1b[0m        0 B")
    assert "\x1b[" not in render_text(story[1], RenderOptions(fit=Fit(width=80)))


def test_efficiency_line_only_where_the_scores_differ(story):
    # dive: every path's sizes summed (1,000 + 150,000 + 100,000 + the whiteout's 50,000 =
    # 301,000), app.bin seen twice at 100,000 costs 100,000: 201,000 / 301,000 = 66.8%, so
    # dive calls 33.2% waste against 150,000 / 251,000 = 59.8%.
    text = render_text(story[1], RenderOptions(fit=Fit(width=200)))
    assert ("dive's score calls 33.2% waste, layerscope 59.8%: dive weighs each path's sizes "
            "across layers") in text
    clean = analyze(build_image(("", [file("bin/sh", b"s" * 10)]))).report
    assert "dive's score calls" not in render_text(clean, RenderOptions())


def test_oneline_stands_alone(story):
    # No findings were run on this report: the line says nothing about them.
    assert render_oneline(story[1], RenderOptions()) == (
        "layerscope inspect test:latest sha256:000000000000: 251.0 kB in 4 layers, "
        "150.0 kB wasted (59.8%), 250.0 kB after the base\n")


def test_files_of_the_chmod_step(story):
    # /opt/ was there (step 2 listed it): no mark; app.bin the same 100,000 bytes again.
    assert render_files(step_files(*story, 3), Fit(width=80), "size") == (
        "Files of step 3: RUN chmod -R 700 /opt\n"
        "Layer 100.0 kB in 2 entries: 1 metadata-only\n"
        "\n"
        "Change              Size  Path (largest first)\n"
        "                100.0 kB  └── opt/\n"
        "metadata-only   100.0 kB      └── app.bin\n")


def test_files_of_the_removing_step(story):
    # The whiteout hides the three .pyc files' 50,000 bytes; the layer itself is 0 B, so the
    # parents it implies count 0 B.
    text = render_files(step_files(*story, 4), Fit(width=80), "path")
    assert text.split("\n")[:4] == [
        "Files of step 4: RUN rm -rf /usr/local/lib/python3.11/dist-packages/certifi",
        "Layer 0 B in 1 entries: 1 removed", "", "Change              Size  Path"]
    assert text.split("\n")[-2] == (
        "removed          50.0 kB                      └── certifi")


def test_files_sorted_by_size_and_by_path(story):
    # Step 2 at 120 columns: /opt (100,000) before /usr (50,000) by size, and by path too;
    # inside __pycache__ by size core, util, main, by path core, main, util. Each lost file
    # names the step that killed it.
    by_size = render_files(step_files(*story, 2), Fit(width=120), "size").split("\n")
    by_path = render_files(step_files(*story, 2), Fit(width=120), "path").split("\n")
    assert by_size[1] == "Layer 150.0 kB in 5 entries: 5 added; 150.0 kB of it lost to later steps"
    assert by_size[4:6] == ["added           100.0 kB  ├── opt/",
                            "added           100.0 kB  │   └── app.bin  (lost to step 3)"]
    names = [line.split("── ")[1] for line in by_size[-4:-1]]
    assert names == ["core.cpython-311.pyc  (lost to step 4)",
                     "util.cpython-311.pyc  (lost to step 4)",
                     "main.cpython-311.pyc  (lost to step 4)"]
    assert [line.split("── ")[1].split(" ")[0] for line in by_path[-4:-1]] == [
        "core.cpython-311.pyc", "main.cpython-311.pyc", "util.cpython-311.pyc"]


# ------------------------------------------------------------------ the command line, in-process

@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    from tests.imagebuilder import ImageSpec, Step, write_docker_archive

    # /tmp/blob (1,000 B) written by step 1 and removed by step 2; step 0 writes 500 B.
    spec = ImageSpec((
        Step("COPY app /app", (file("/app/main.py", "m" * 500),)),
        Step("COPY blob /tmp/blob", (file("/tmp/blob", "b" * 1000),)),
        Step("ENV A=1", None),
        Step("RUN rm /tmp/blob", (whiteout("/tmp/blob"),)),
    ), repo_tag="text:1")
    return write_docker_archive(spec, tmp_path_factory.mktemp("text") / "text.tar")


def test_cli_width_from_columns_and_the_files_view(archive, monkeypatch, capsys):
    from tests.inprocess import run_main

    # 60 columns: #, the instruction at its minimum 24, Size 6, Lost later 7, Visible 9 and 4
    # gaps of 2 make 57; every other line, the findings included, wraps to 60.
    monkeypatch.setenv("COLUMNS", "60")
    code, out = run_main("inspect", archive, "--no-cache", "-q")
    assert code == 0 and max(len(line) for line in out.decode().split("\n")) <= 60
    code, out = run_main("inspect", archive, "--no-cache", "-q", "--files", "1")
    assert code == 0 and out.decode() == (
        "Files of step 1: COPY blob /tmp/blob\n"
        "Layer 1.0 kB in 1 entries: 1 added; 1.0 kB of it lost to later steps\n\n"
        "Change              Size  Path (largest first)\n"
        "                  1.0 kB  └── tmp/\n"
        "added             1.0 kB      └── blob  (lost to step 3)\n")
    code, out = run_main("inspect", archive, "--no-cache", "-q", "--files", "2")
    assert code == 0 and out.decode() == (
        "Step 2 (ENV A=1) made no layer: it changed no files, only the image's "
        "configuration.\n")
    code, out = run_main("inspect", archive, "--no-cache", "-q", "--format", "oneline")
    # 500 + 1,000 bytes, 1,000 of them copied and deleted (66.7%): one finding (LS002, copied
    # then deleted) saving those 1,000; no base (no CMD before the last layer).
    assert out.decode() == (f"layerscope inspect text:1 {_image_id(archive)}: 1.5 kB in 3 "
                            "layers, 1.0 kB wasted (66.7%), 1.5 kB after the base, 1 finding, "
                            "up to 1.0 kB to save\n")


def _image_id(archive) -> str:
    import json
    import tarfile

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    return "sha256:" + manifest[0]["Config"].split("/")[-1].removesuffix(".json")[:12]


@pytest.mark.parametrize("arguments, message", [
    (["--files", "9"], "layerscope: error: --files 9: the image has steps 0 to 3"),
    (["--files", "1", "--format", "json"],
     "layerscope: error: --files is a text view; --format json cannot show it"),
    (["--files", "-1"], "layerscope: error: argument --files: -1 is not a step: steps count from 0"),
    (["--sort", "name"], "layerscope: error: argument --sort: invalid choice: 'name'"),
])
def test_cli_bad_view_options_are_one_line_and_exit_2(archive, capsys, arguments, message):
    from tests.inprocess import run_main

    code, out = run_main("inspect", archive, "--no-cache", "-q", *arguments)
    lines = capsys.readouterr().err.strip().split("\n")
    assert code == 2 and out == b"" and lines[0].startswith(message) and len(lines) <= 2


def test_replay_key_follows_the_width_and_colour(archive, monkeypatch):
    from layerscope import replay

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    plain = replay.replay_key(["inspect", str(archive)]).name
    monkeypatch.setenv("COLUMNS", "120")
    assert replay.replay_key(["inspect", str(archive)]).name != plain
    monkeypatch.delenv("COLUMNS")
    monkeypatch.setenv("NO_COLOR", "1")
    assert replay.replay_key(["inspect", str(archive)]).name != plain
    assert replay.replay_key(["inspect", str(archive), "--wide", "--files", "1"]) is not None


def test_cli_dockerfile_lines(archive, tmp_path, monkeypatch):
    from tests.inprocess import run_main

    # Line 1 is FROM; the four steps are lines 2 to 5 in order; ENV makes no layer but has a
    # line. The findings' step (1 -> 3) gets its lines, 3 and 5.
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nCOPY app /app\nCOPY blob /tmp/blob\nENV A=1\n"
                          "RUN rm /tmp/blob\n")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(tmp_path)  # the path as given is what the findings' locations print
    code, out = run_main("inspect", archive, "--no-cache", "-q", "--dockerfile", "Dockerfile")
    text = out.decode()
    assert code == 0
    # Widths: # 3, Line 6 ("Line" + 2), Instruction 19 ("COPY blob /tmp/blob"), Size 6.
    assert section(text, "  #    Line", 7) == [
        "  #    Line  Instruction            Size     Lost    Visible",
        "                                            later",
        "---  ------  -------------------  ------  -------  ---------",
        "  0       2  COPY app /app         500 B      0 B      500 B",
        "  1       3  COPY blob /tmp/blob  1.0 kB   1.0 kB        0 B",
        "  2       4  ENV A=1                   -",
        "  3       5  RUN rm /tmp/blob        0 B      0 B        0 B",
    ]
    # PATH:LINE, as hadolint prints them (the line wraps at 80 columns)
    assert "[steps 1 -> 3 (Dockerfile:3, Dockerfile:5)]" in " ".join(text.split())


def test_markdown_shows_every_column_and_cuts_no_instruction_or_path(story):
    # A PR comment wraps: the 132-character RUN is whole (under the 160 cut for scripts), the
    # group's path too; every column is there, chmod's 100,000 bytes under "Replaced below".
    from layerscope.formats.markdown import render_inspect as render_markdown

    text = render_markdown(story[1], RenderOptions(fit=Fit(width=80)))
    lines = text.split("\n")
    assert lines[0] == "### layerscope inspect `test:latest`: 251.0 kB, 150.0 kB wasted (59.8%)"
    header = next(line for line in lines if line.startswith("|   # |"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == [
        "#", "", "Instruction", "Size", "New", "Rewrote", "Removed below", "Replaced below",
        "Lost later", "Visible"]
    chmod = next(line for line in lines if line.startswith("|   3 |"))
    assert [cell.strip() for cell in chmod.strip("|").split("|")] == [
        "3", "", "RUN chmod -R 700 /opt", "100.0 kB", "0 B", "100.0 kB", "0 B", "100.0 kB",
        "0 B", "100.0 kB"]
    assert INSTALL in text
    assert f"`/{CERTIFI}/ (3 files)`" in text


def _on_a_terminal(archive, **env) -> str:
    """inspect's stdout when it is a real pseudo-terminal, 100 columns wide."""
    import fcntl
    import os
    import struct
    import subprocess
    import sys
    import termios

    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}
    process = subprocess.Popen([sys.executable, "-m", "layerscope", "inspect", str(archive),
                                "--no-cache", "-q"], stdout=follower,
                               env=environment | env | {"TERM": "xterm"})
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_colour_and_width_on_a_real_terminal(archive):
    # Step 1's 1,000 lost bytes in magenta; the terminal is 100 columns, so the Wasted line
    # (90 characters at 100) is not wrapped as it is at 80.
    text = _on_a_terminal(archive)
    assert "\x1b[35m1.0 kB\x1b[0m" in text
    assert ("Wasted      1.0 kB (1,000 bytes, 66.7%): written by one step, deleted or replaced by "
            "a later one\n") in text
    assert "\x1b[" not in _on_a_terminal(archive, NO_COLOR="1")


def test_an_image_without_history_renders():
    from layerscope.formats.markdown import render_inspect as render_markdown

    empty = analyze(build_image()).report
    assert "Wasted bytes: none." in render_text(empty, RenderOptions())
    assert render_markdown(empty, RenderOptions()).startswith(
        "### layerscope inspect `test:latest`: 0 B, 0 B wasted (0.0%)\n")
