"""The fleet report's aggregation and renderers on rows written by hand: two images on one base
layer (3 MB), one unreadable reference, a previous scan. Figures by hand: logical 5 + 4 = 9 MB;
unique layers 3 + 2 + 1 = 6 MB; wasted 1 MB of 9 = 11.1%; the base's own waste 1 - 1 = 0;
/tmp/* is in one image only (not recurring); web:1 did not change size (no growth row)."""

from __future__ import annotations

import json

from layerscope.analysis.fleet import FleetRows, ImageRow, fleet_report
from layerscope.formats.base import RenderOptions, formatter

A, B = "sha256:" + "a" * 64, "sha256:" + "b" * 64
L1, L2, L3 = ("sha256:" + c * 64 for c in "123")
ROWS = FleetRows(
    scan_id=2, finished_at="2026-01-02T03:04:05Z",
    images=(ImageRow("api:1", A, None, 5_000_000, 1_000_000, 2_000_000, 1_000_000, 1, "sha256:b1"),
            ImageRow("web:1", B, None, 4_000_000, 0, 1_000_000, 0, 1, "sha256:b1"),
            ImageRow("gone:1", None, "no such image: gone:1")),
    layers=((A, 0, L1, 3_000_000), (A, 1, L2, 2_000_000), (B, 0, L1, 3_000_000), (B, 1, L3, 1_000_000)),
    waste=((A, "/var/lib/apt/lists/*", 4, 900_000), (B, "/var/lib/apt/lists/*", 2, 0),
           (A, "/tmp/*", 1, 100_000)),
    findings=((A, "LS004", "apt lists left behind", 1, 900_000),),
    duplicates=((0xABC, 250_000, 3, "/usr/lib/libx.so"),),
    duplicate_totals=(1, 500_000),
    previous_scan_id=1, previous_sizes=(("api:1", 4_500_000), ("web:1", 4_000_000)))

TEXT = """\
Fleet scan 2 (2026-01-02T03:04:05Z)

  images              2 (3 references, 1 failed)
  logical bytes       9.0 MB (9,000,000 B)
  unique layer bytes  6.0 MB (6,000,000 B)
  shared by layers    3.0 MB
  wasted bytes        1.0 MB (11.1%)
  duplicated content  500.0 kB

Images by wasted bytes
image    id            size    wasted    own wasted
api:1    aaaaaaaaaaaa  5.0 MB  1.0 MB    1.0 MB

Images by own (non-base) bytes
image    id            size    own bytes
api:1    aaaaaaaaaaaa  5.0 MB  2.0 MB
web:1    bbbbbbbbbbbb  4.0 MB  1.0 MB

Base images
base                        layers    size    own waste    images
layers ...111111111111 (1)  1         3.0 MB  0 B          2

Recurring wasted paths
pattern               images    versions    bytes
/var/lib/apt/lists/*  2         6           900.0 kB

Content duplicated across layers
example path      size      layers    saving
/usr/lib/libx.so  250.0 kB  3         500.0 kB

Findings by rule
rule    title                  images    findings    saving
LS004   apt lists left behind  1         1           900.0 kB

Growth since scan 1
image    before    now     change
api:1    4.5 MB    5.0 MB  +500.0 kB

Unreadable images
image    error
gone:1   no such image: gone:1
"""


def render(name: str, top: int = 10) -> str:
    return formatter("fleet", name)(fleet_report(ROWS), RenderOptions(top=top))


def test_text_exact():
    assert render("text") == TEXT


def test_markdown_exact_head_and_a_section():
    text = render("markdown")
    assert text.startswith("## Fleet scan 2 (2026-01-02T03:04:05Z)\n\n|  | total |\n|---|---|\n"
                           "| images | 2 (3 references, 1 failed) |\n")
    assert ("### Growth since scan 1\n\n| image | before | now | change |\n|---|---|---|---|\n"
            "| api:1 | 4.5 MB | 5.0 MB | +500.0 kB |\n") in text


def test_json_document():
    document = json.loads(render("json"))
    assert document["schema"] == "layerscope/fleet/v1"
    assert document["scan"] == {"id": 2, "finished_at": "2026-01-02T03:04:05Z", "previous_id": 1}
    assert document["totals"] == {"images": 2, "references": 3, "failed": 1,
                                  "logical_bytes": 9_000_000, "unique_layer_bytes": 6_000_000,
                                  "wasted_bytes": 1_000_000, "duplicate_content_bytes": 500_000}
    assert document["growth"] == [{"ref": "api:1", "previous_size": 4_500_000, "size": 5_000_000,
                                   "delta": 500_000}]
    assert document["duplicate_content"] == [{"content_hash": "0000000000000abc", "size": 250_000,
                                              "layers": 3, "saving_bytes": 500_000,
                                              "example_path": "/usr/lib/libx.so"}]
    assert document["bases"][0]["refs"] == ["api:1", "web:1"]
    assert document["errors"] == [{"ref": "gone:1", "error": "no such image: gone:1"}]


def test_html_is_one_page_with_escaped_cells():
    rows = FleetRows(**{**{f: getattr(ROWS, f) for f in ROWS.__dataclass_fields__},
                        "images": ROWS.images[:2] + (ImageRow("<evil>", None, "a & b"),)})
    page = formatter("fleet", "html")(fleet_report(rows), RenderOptions())
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</body></html>\n")
    assert "<td>&lt;evil&gt;</td><td>a &amp; b</td>" in page
    assert "<tr><td>logical bytes</td><td>9.0 MB (9,000,000 B)</td></tr>" in page
    assert "http" not in page and "<script" not in page


def test_top_cuts_rankings():
    assert "web:1" not in render("text", top=1).split("Images by own")[1].split("Base images")[0]
