"""The HTML report without a browser: the directory map's figures (built from a readable
description, expected by hand), the page's policy and escaping, and how -o picks the format."""

from __future__ import annotations

import json
import re

import pytest

from layerscope.errors import UsageError
from layerscope.formats.html import tree
from layerscope.formats.html.page import page
from layerscope.output import plan_outputs

# (path, series, bytes, dead): step 1 wrote /usr/bin/a (100) and /usr/lib/b (50), step 2
# wrote /etc/c (7); step 1's /tmp/x (30) died later
ITEMS = [("/usr/bin/a", 1, 100, False), ("/usr/lib/b", 1, 50, False),
         ("/etc/c", 2, 7, False), ("/tmp/x", 1, 30, True)]


def test_the_map_sums_each_directory_by_series_live_and_dead():
    nodes = tree.build(ITEMS)["nodes"]
    assert nodes == [
        [-1, "/", "d", 4, [1, 150, 2, 7], [1, 30]],
        [0, "usr", "d", 2, [1, 150], []],
        [0, "tmp", "d", 1, [], [1, 30]],
        [0, "etc", "d", 1, [2, 7], []],
        [1, "bin", "d", 1, [1, 100], []],
        [1, "lib", "d", 1, [1, 50], []],
        [4, "a", "f", 1, [1, 100], []],
        [5, "b", "f", 1, [1, 50], []],
        [2, "x", "f", 1, [], [1, 30]],  # the bigger directory (tmp, 30) opens before etc (7)
        [3, "c", "f", 1, [2, 7], []],
    ]


def test_a_wide_directory_sums_its_smaller_entries_exactly():
    items = [(f"/d/f{i}", 0, i, False) for i in range(1, 11)]  # 1 + ... + 10 = 55 bytes
    nodes = tree.build(items, width=3)["nodes"]
    under_d = [n for n in nodes if n[0] == 1]
    assert [(n[1], n[4]) for n in under_d] == [
        ("f10", [0, 10]), ("f9", [0, 9]), ("f8", [0, 8]),
        ("(7 smaller entries)", [0, 28]),  # 1 + ... + 7
    ]
    assert under_d[-1][2:4] == ["o", 7]


def test_past_the_node_budget_a_directory_keeps_its_totals_unlisted():
    items = [("/big/a/1", 0, 90, False), ("/big/a/2", 0, 5, False), ("/small/b/3", 0, 4, False)]
    nodes = tree.build(items, budget=4)["nodes"]
    # root, big, small, then big's child a fits; a's two files and small's child do not
    assert [n[1:4] for n in nodes] == [["/", "d", 3], ["big", "d", 2], ["small", "c", 1],
                                       ["a", "c", 2]]
    assert nodes[3][4] == [0, 95] and nodes[2][4] == [0, 4]


def test_a_path_that_was_a_file_and_then_a_directory_stays_a_directory():
    nodes = tree.build([("/x", 1, 10, True), ("/x/y", 2, 3, False)])["nodes"]
    assert nodes[1] == [0, "x", "d", 2, [2, 3], [1, 10]]


def _data(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="layerscope-data">(.*?)</script>',
                      html, re.S).group(1)
    return json.loads(block)


def test_the_page_fetches_nothing_and_allows_only_its_own_script_and_style():
    html = page("t", {"kind": "check", "x": 1})
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert policy.startswith("default-src 'none'; script-src 'sha256-")
    assert "unsafe" not in policy
    assert not re.search(r"(src|href)=\"?(https?:)?//", html)


def test_data_from_the_image_cannot_close_the_block_or_start_markup():
    hostile = "</script><script>alert(1)</script><!-- \u2028 & <img src=x onerror=alert(2)>"
    html = page("<b>title</b>", {"kind": "check", "path": hostile})
    assert "<title>&lt;b&gt;title&lt;/b&gt;</title>" in html
    assert html.count("<script") == 2 and "alert" not in html.split("layerscope-data")[0]
    assert _data(html)["path"] == hostile  # the same string after JSON.parse


def test_a_name_that_was_not_utf8_is_shown_by_its_bytes():
    html = page("t", {"kind": "check", "path": "/caf\udce9", "label": "\ud800 from JSON"})
    assert _data(html)["path"] == "/caf\\xe9"
    assert _data(html)["label"] == "\\ud800 from JSON"
    html.encode("utf-8")  # no lone surrogate left to break the file


FORMATS = ("text", "json", "html")


@pytest.mark.parametrize(("fmt", "outputs", "planned"), [
    (None, None, [("text", None)]),
    (None, ["report.html"], [("html", "report.html")]),
    (None, ["out/Report.HTM"], [("html", "out/Report.HTM")]),
    (None, ["report.txt"], [("text", "report.txt")]),
    ("json", ["report.html"], [("json", "report.html")]),
    ("json", ["html=r.html"], [("json", None), ("html", "r.html")]),
    (None, ["r.json", "html=r.html"], [("text", "r.json"), ("html", "r.html")]),
])
def test_output_planning(fmt, outputs, planned):
    assert plan_outputs(FORMATS, fmt, outputs) == planned


def test_html_extension_is_not_picked_where_the_command_has_no_html():
    assert plan_outputs(("text", "json"), None, ["r.html"]) == [("text", "r.html")]


@pytest.mark.parametrize("outputs", [["html="], ["pdf=r.pdf"], ["a.html", "b.html"],
                                     ["html=-"]])
def test_output_planning_refuses(outputs):
    with pytest.raises(UsageError):
        plan_outputs(FORMATS, None, outputs)


def test_inspect_o_report_html_writes_the_page_with_the_json_reports_figures(tmp_path):
    from tests.imagebuilder import ImageSpec, Step, file, whiteout, write_docker_archive
    from tests.inprocess import run_main

    # step 0 writes 1,000 + 24 bytes; step 1 deletes the 1,000: size 1,024, wasted 1,000
    spec = ImageSpec(steps=(Step("ADD a /", (file("/opt/big", b"x" * 1000),
                                             file("/opt/small", b"y" * 24))),
                            Step("RUN rm /opt/big", (whiteout("/opt/big"),))))
    archive = write_docker_archive(spec, tmp_path / "image.tar")
    code, out = run_main("inspect", archive, "-o", tmp_path / "report.html", "--no-progress")
    assert (code, out) == (0, b"")
    data = _data((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert data["kind"] == "inspect"
    assert (data["image"]["size"], data["image"]["wasted_bytes"]) == (1024, 1000)
    assert data["wasted"] == [{"path": "/opt/big", "size": 1000, "kind": "removed",
                               "written_by_step": 0, "killed_by_step": 1}]
    assert data["map"]["nodes"][:2] == [[-1, "/", "d", 2, [0, 24], [0, 1000]],
                                        [0, "opt", "d", 2, [0, 24], [0, 1000]]]
    code, out = run_main("inspect", archive, "--format", "json", "--no-progress")
    document = json.loads(out)
    assert {k: v for k, v in data.items() if k not in ("kind", "map", "wasted_count")} == document


@pytest.mark.parametrize(("arguments", "message"), [
    (("-o", "html="), "layerscope: error: --output html=: no file after '='"),
    (("-o", "pdf=r.pdf"), "layerscope: error: --output pdf=r.pdf: unknown format 'pdf'"),
    (("--dockerfile", "/nonexistent/Dockerfile", "-o", "{tmp}/r.html"),
     "layerscope: error: cannot read --dockerfile /nonexistent/Dockerfile"),
])
def test_bad_html_arguments_are_one_line_and_exit_2(tmp_path, capfd, arguments, message):
    from tests.imagebuilder import ImageSpec, Step, file, write_docker_archive
    from tests.inprocess import run_main

    archive = write_docker_archive(ImageSpec(steps=(Step("ADD a /", (file("/a", b"x"),)),)),
                                   tmp_path / "image.tar")
    code, out = run_main("inspect", archive, "--no-progress",
                         *(a.format(tmp=tmp_path) for a in arguments))
    errors = capfd.readouterr().err
    assert (code, out) == (2, b"")
    assert errors.startswith(message) and "Traceback" not in errors
    assert not (tmp_path / "r.html").exists()
