"""The text and JSON renderers, checked against exact expected output."""

from __future__ import annotations

import json

import pytest

from layerscope.analysis.image_report import inspect_image
from layerscope.formats.base import FORMATS, RenderOptions, formatter
from layerscope.formats.json_report import render_inspect as render_json
from layerscope.formats.text import render_inspect as render_text
from tests.analysis.conftest import build_image
from tests.imagebuilder import directory, file, whiteout


@pytest.fixture
def report():
    return inspect_image(build_image(
        ("", [file("bin/sh", b"s" * 1500)]),
        ('/bin/sh -c #(nop)  CMD ["sh"]', None),
        ("/bin/sh -c #(nop) COPY dir:0a1b in /tmp/req ",
         [directory("tmp/req"), file("tmp/req/a", b"x" * 300_000), file("tmp/req/b", b"y" * 200_000)]),
        ("/bin/sh -c pip install -r /tmp/req/a", [file("usr/lib/pkg.py", b"z" * 52_000)]),
        ("/bin/sh -c rm -rf /tmp/req", [directory("tmp"), whiteout("tmp/req")]),
    ))


# Figures by hand: 1,500 + 500,000 + 52,000 + 0 = 553,500 bytes; /tmp/req's 500,000 are deleted
# by step 4, so 53,500 are visible (90.3% wasted); after the base (step 0's 1,500 bytes):
# 552,000, of them 500,000 wasted (90.6%). dive's score is 100%: it sees /tmp/req/a and b once
# and the whiteout of the directory counts for the directory only, so the two differ and the
# report says why. 80 columns (PLAIN): the steps table needs no cut; the default columns.
EXPECTED_TEXT = '''\
Image       test:latest  sha256:000000000000  linux/amd64
Size        553.5 kB (553,500 bytes) in 4 layers
Visible     53.5 kB (53,500 bytes)
Wasted      500.0 kB (500,000 bytes, 90.3%): written by one step, deleted or
            replaced by a later one
User        552.0 kB in 3 layers after the base, 500.0 kB wasted (90.6%)
Base        1 layer: base ends at step 1 (CMD ["sh"]); heuristic: a base image's
            history ends with CMD/ENTRYPOINT or an import
Efficiency  100.0% (dive's score, for comparison)
            dive's score calls 0.0% waste, layerscope 90.3%: dive weighs each
            path's sizes across layers, so it misses files deleted with their
            directory and charges an overwritten file its larger copy; Wasted is
            exactly the bytes the final image does not show

Steps (# = history position from 0, `docker history` bottom-up; - = no layer)
  #        Instruction                        Size      Lost    Visible
                                                       later
---  ----  -----------------------------  --------  --------  ---------
  0  base  (no instruction recorded)        1.5 kB       0 B     1.5 kB
  1  base  CMD ["sh"]                            -
  2        COPY dir:0a1b in /tmp/req      500.0 kB  500.0 kB        0 B
  3        RUN pip install -r /tmp/req/a   52.0 kB       0 B    52.0 kB
  4        RUN rm -rf /tmp/req                 0 B       0 B        0 B
  Size: its layer (`docker history` SIZE); Lost later: bytes a later step
  deleted or replaced (wasted); Visible: bytes the final image shows. --wide
  adds New, Rewrote, Removed below and Replaced below.
  step 2 wrote 500.0 kB that step 4 deleted: RUN rm -rf /tmp/req

Wasted bytes, largest first (1 of 1 groups, 2 files); --expand lists each
group's files
    Size  Kind     Path                   Written    Lost to
                                          by step       step
--------  -------  -------------------  ---------  ---------
500.0 kB  removed  /tmp/req/ (2 files)          2          4
'''


def test_text_report_exact(report):
    assert render_text(report, RenderOptions(top=10)) == EXPECTED_TEXT


def test_text_top_limits_rows(report):
    text = render_text(report, RenderOptions(top=1))
    assert "(1 of 1 groups, 2 files)" in text


def test_json_report_keys_and_integers(report):
    document = json.loads(render_json(report, RenderOptions()))
    assert document["schema"] == "layerscope/inspect/v1"
    assert document["image"] == {
        "ref": "test:latest", "id": "sha256:" + "0" * 64, "repo_tags": ["test:latest"],
        "platform": "linux/amd64", "size": 553_500, "visible_bytes": 53_500,
        "wasted_bytes": 500_000, "user_size": 552_000, "user_wasted_bytes": 500_000,
        "efficiency": 1.0, "layer_count": 4,
    }
    assert document["steps"][2] == {
        "index": 2, "instruction": "COPY dir:0a1b in /tmp/req",
        "created_by": "/bin/sh -c #(nop) COPY dir:0a1b in /tmp/req ", "empty_layer": False,
        "layer": 1, "size": 500_000, "added_bytes": 500_000, "replaced_bytes": 0,
        "deleted_lower_bytes": 0, "removed_lower_bytes": 0, "replaced_lower_bytes": 0,
        "dead_bytes": 500_000, "live_bytes": 0,
        "dead_by_step": [{"step": 4, "bytes": 500_000}], "base": False, "history_missing": False,
    }
    assert document["steps"][1]["layer"] is None and document["steps"][1]["empty_layer"] is True
    # step 4's rm -rf deleted step 2's 500,000 bytes: all removed, none replaced
    assert [document["steps"][4][key] for key in ("deleted_lower_bytes", "removed_lower_bytes",
                                                  "replaced_lower_bytes")] == [500_000, 500_000, 0]
    assert document["wasted"] == [
        {"path": "/tmp/req/a", "size": 300_000, "kind": "removed", "written_by_step": 2,
         "killed_by_step": 4},
        {"path": "/tmp/req/b", "size": 200_000, "kind": "removed", "written_by_step": 2,
         "killed_by_step": 4},
    ]
    assert document["base"]["method"] == "heuristic"


def test_registry_drives_cli_choices_and_every_format_renders(report):
    from layerscope.cli import build_parser

    inspect = build_parser()._subparsers._group_actions[0].choices["inspect"]
    choices = next(a.choices for a in inspect._actions if a.dest == "format")
    assert tuple(choices) == tuple(FORMATS["inspect"])
    for name in FORMATS["inspect"]:
        assert formatter("inspect", name)(report, RenderOptions()).endswith("\n")
