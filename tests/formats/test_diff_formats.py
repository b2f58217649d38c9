"""diff renderers checked against exact expected output; JSON keys and integers."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction

import pytest

from layerscope.analysis.diff import diff_images
from layerscope.analysis.image_report import analyze
from layerscope.formats import json_report, markdown, text
from layerscope.formats.base import FORMATS, RenderOptions, formatter
from layerscope.rules.budgets.base import Growth
from layerscope.rules.budgets.max_growth import judge_growth
from tests.analysis.conftest import build_image
from tests.imagebuilder import directory, file, whiteout

BASE = ("", [directory("bin"), file("bin/sh", b"s" * 100)])
CMD = ('/bin/sh -c #(nop)  CMD ["sh"]', None)


def diff_inputs():
    """The analyses of A and B below."""
    a = build_image(BASE, CMD,
                    ("/bin/sh -c apt-get install -y big",
                     [file("usr/lib/big.so", b"b" * 2_000_000), file("usr/share/doc/big", b"d" * 30_000)]),
                    ("/bin/sh -c #(nop) COPY file:1 in /app ", [file("app", b"a" * 7)]))
    b = build_image(BASE, CMD,
                    ("/bin/sh -c apt-get install -y --no-install-recommends big",
                     [file("usr/lib/big.so", b"B" * 1_500_000), directory("tmp"),
                      file("tmp/big.deb", b"t" * 40_000)]),
                    ("/bin/sh -c rm /tmp/big.deb", [whiteout("tmp/big.deb")]),
                    ("/bin/sh -c #(nop) COPY file:1 in /app ", [file("app", b"a" * 7)]))
    return analyze(a), analyze(b)


@pytest.fixture
def report():
    return diff_images(*diff_inputs())


EXPECTED_TEXT = """\
A  test:latest  sha256:000000000000
B  test:latest  sha256:000000000000

               A        B               Delta
--------  ------  -------  ------------------
Size      2.0 MB   1.5 MB  -490.0 kB (-24.1%)
Visible   2.0 MB   1.5 MB  -530.0 kB (-26.1%)
Wasted       0 B  40.0 kB      +40.0 kB (n/a)
Download       -        -                   -
Layers         3        4                  +1

1 shared layer(s), 2 shared step(s); the histories diverge here:
  A step 2: RUN apt-get install -y big
  B step 2: RUN apt-get install -y --no-install-recommends big

Steps after the shared prefix, each beside its counterpart
  A#    B#  Instruction                            Size A    Size B      Delta
----  ----  -----------------------------------  --------  --------  ---------
   2     2  A: …nstall -y big                      2.0 MB    1.5 MB  -490.0 kB
            B: …nstall -y --no-install-recomme…
   -     3  (only in B) RUN rm /tmp/big.deb             -       0 B        0 B
   3     4  COPY file:1 in /app                       7 B       7 B        0 B

Changed files, most bytes to download first (2 of 2)
Change    Path                  Size A    Size B      Delta
--------  ------------------  --------  --------  ---------
changed   /usr/lib/big.so       2.0 MB    1.5 MB  -500.0 kB
removed   /usr/share/doc/big   30.0 kB       0 B   -30.0 kB

Wasted bytes that differ (1 path, net +40.0 kB)
Waste     Path            Dead A    Dead B    Written by    Lost to
--------  ------------  --------  --------  ------------  ---------
appeared  /tmp/big.deb         -   40.0 kB           B 2        B 3
"""

EXPECTED_MARKDOWN = """\
### layerscope diff: -490.0 kB (test:latest → test:latest)

|          | A `test:latest`   | B `test:latest`   | Delta              |
|----------|-------------------|-------------------|--------------------|
| Size     | 2.0 MB            | 1.5 MB            | -490.0 kB (-24.1%) |
| Visible  | 2.0 MB            | 1.5 MB            | -530.0 kB (-26.1%) |
| Wasted   | 0 B               | 40.0 kB           | +40.0 kB (n/a)     |
| Download | -                 | -                 | -                  |
| Layers   | 3                 | 4                 | +1                 |

1 shared layer(s), 2 shared step(s); the histories diverge here:

```text
A step 2: RUN apt-get install -y big
B step 2: RUN apt-get install -y --no-install-recommends big
```

#### Steps after the shared prefix, each beside its counterpart

| A#   |   B# | Instruction                                           | Size A   | Size B   | Delta     |
|------|------|-------------------------------------------------------|----------|----------|-----------|
| 2    |    2 | A: RUN apt-get install -y big                         | 2.0 MB   | 1.5 MB   | -490.0 kB |
|      |      | B: RUN apt-get install -y --no-install-recommends big |          |          |           |
| -    |    3 | (only in B) RUN rm /tmp/big.deb                       | -        | 0 B      | 0 B       |
| 3    |    4 | COPY file:1 in /app                                   | 7 B      | 7 B      | 0 B       |

<details><summary>Changed files by directory (depth 2; 2 of 2 directories, 2 paths)</summary>

| Change   | Path       | Size A   | Size B   | Delta     |
|----------|------------|----------|----------|-----------|
| 1 file   | /usr/lib   | 2.0 MB   | 1.5 MB   | -500.0 kB |
| 1 file   | /usr/share | 30.0 kB  | 0 B      | -30.0 kB  |

</details>

<details><summary>Wasted bytes that differ (1 path, net +40.0 kB)</summary>

| Waste    | Path         | Dead A   | Dead B   | Written by   | Lost to   |
|----------|--------------|----------|----------|--------------|-----------|
| appeared | /tmp/big.deb | -        | 40.0 kB  | B 2          | B 3       |

</details>
"""


def test_text_exact(report):
    assert text.render_diff(report, RenderOptions(top=10)) == EXPECTED_TEXT


def test_markdown_exact_with_depth(report):
    assert markdown.render_diff(report, RenderOptions(top=10, depth=2)) == EXPECTED_MARKDOWN


def test_json_document(report):
    document = json.loads(json_report.render_diff(report, RenderOptions(top=1)))
    assert document["schema"] == "layerscope/diff/v1"
    assert document["summary"] == {
        "size_a": 2_030_107, "size_b": 1_540_107, "size_delta": -490_000,
        "size_delta_percent": round(100 * -490_000 / 2_030_107, 3), "visible_delta": -530_000,
        "wasted_delta": 40_000, "compressed_delta": None, "identical": False,
    }
    assert document["shared_layers"] == 1 and document["shared_steps"] == 2
    assert document["divergence"] == {
        "step_a": 2, "step_b": 2, "instruction_a": "RUN apt-get install -y big",
        "instruction_b": "RUN apt-get install -y --no-install-recommends big"}
    assert len(document["files"]) == 2  # --top never cuts JSON
    assert document["files"][0] == {"path": "/usr/lib/big.so", "change": "changed",
                                    "size_a": 2_000_000, "size_b": 1_500_000,
                                    "size_delta": -500_000}
    assert document["steps"][1] == {"step_a": None, "step_b": 3, "instruction_a": None,
                                    "instruction_b": "RUN rm /tmp/big.deb", "size_a": 0,
                                    "size_b": 0, "size_delta": 0, "pairing": "only-b"}
    assert document["waste"] == [{"path": "/tmp/big.deb", "change": "appeared", "size": 40_000,
                                  "size_a": 0, "size_b": 40_000, "size_delta": 40_000,
                                  "written_by": "RUN apt-get install -y --no-install-recommends big",
                                  "killed_by": "RUN rm /tmp/big.deb", "image": "B",
                                  "written_step": 2, "killed_step": 3}]
    assert document["waste_unchanged"] == {"paths": 0, "bytes": 0}
    assert document["path_filter"] is None


def test_every_registered_diff_format_renders(report):
    for name in FORMATS["diff"]:
        assert formatter("diff", name)(report, RenderOptions()).endswith("\n")


@pytest.fixture
def grown():
    """The fixture's images the other way round, judged by --fail-on-growth 10%: B (2,030,107
    bytes) grew by 490,000 bytes over A (1,540,107), 490000/1540107 = 31.816%."""
    big, small = diff_inputs()
    report = diff_images(small, big)
    verdict = judge_growth(big, small.report, Growth(Fraction(10), True),
                           source="--fail-on-growth")
    return replace(report, growth=verdict)


GROWTH = "growth against test:latest (1.5 MB) 31.82% (+490.0 kB) is over the 10.0% limit"


def test_the_growth_verdict_in_every_format(grown, report):
    lines = text.render_diff(grown, RenderOptions()).splitlines()
    layers = next(i for i, line in enumerate(lines) if line.startswith("Layers "))
    assert lines[layers + 1: layers + 3] == ["", f"FAIL  --fail-on-growth  {GROWTH}"]
    assert f"❌ **FAIL** `--fail-on-growth`: {GROWTH}" in \
        markdown.render_diff(grown, RenderOptions()).splitlines()
    document = json.loads(json_report.render_diff(grown, RenderOptions()))
    assert document["growth_check"] == {
        "name": "max-growth", "status": "fail", "unit": "percent",
        "measured": round(100 * 490_000 / 1_540_107, 4), "limit": 10, "message": GROWTH,
        "source": "--fail-on-growth",
        # the edited install step against its counterpart (1,540,000 bytes: 1,500,000 + the
        # 40,000 of the .deb), not as a step the baseline lacks
        "contributors": [{"kind": "step", "label": "RUN apt-get install -y big",
                          "bytes": 490_000, "step": 2,
                          "detail": "edited, grew from 1.5 MB to 2.0 MB"}]}
    assert json.loads(json_report.render_diff(report, RenderOptions()))["growth_check"] is None
    assert "--fail-on-growth" not in text.render_diff(report, RenderOptions())


APT = ('RUN echo "deb [trusted=yes] file:///repo/debs ./" > /etc/apt/sources.list && '
       "apt-get update && apt-get install -y {}curl python3-pip")


def test_instructions_that_differ_past_the_cut_show_the_difference():
    """The two RUNs share their first 114 characters ('apt-get install -y ' starts at 95).
    At 80 columns the divergence lines have 68 after the 12-character '  A step 2: ' label, and
    the step table's instruction column at most 35 (80 less the 45 the numbers and sizes may
    take), 32 after 'A: '. Each cut starts a third of its width before the difference (114 - 22
    = 92, two characters before 'apt-get'; 114 - 10 = 104, inside 'install'), behind an
    ellipsis; B's text, longer than 32, is cut at its end too."""
    a = build_image(BASE, CMD, (APT.format(""), [file("usr/bin/curl", b"c" * 1000)]))
    b = build_image(BASE, CMD, (APT.format("--no-install-recommends "),
                                [file("usr/bin/curl", b"c" * 600)]))
    report = diff_images(analyze(a), analyze(b))
    assert APT.format("").index("curl") == 114
    lines = text.render_diff(report, RenderOptions()).splitlines()
    start = lines.index("1 shared layer(s), 2 shared step(s); the histories diverge here:")
    assert lines[start + 1: start + 3] == [
        "  A step 2: …&& apt-get install -y curl python3-pip",
        "  B step 2: …&& apt-get install -y --no-install-recommends curl python3-pip"]
    step = lines.index("Steps after the shared prefix, each beside its counterpart") + 3
    assert lines[step:step + 2] == [
        # tabulate pads each header by two: the size columns are 8 wide, Delta 7
        "   2     2  A: …nstall -y curl python3-pip" + " " * 5 + "    1.0 kB     600 B   -400 B",
        "            B: …nstall -y --no-install-recomme…"]
    assert all(len(line) <= 80 for line in lines)


def test_collapsed_waste_and_an_empty_path_filter_are_said():
    """A and B both write a 100-byte /tmp/t.tgz that the next step removes: the same waste on
    both sides, so no row, only the count; --path '/usr/*.so.*' matches nothing (`*` stays in
    one component) and says so instead of 'no differences'."""
    steps = [("RUN fetch", [file("tmp/t.tgz", b"t" * 100)]), ("RUN rm /tmp/t.tgz",
                                                            [whiteout("tmp/t.tgz")])]
    a = analyze(build_image(BASE, CMD, *steps, ("RUN echo a", [file("a", b"a")])))
    b = analyze(build_image(BASE, CMD, *steps, ("RUN echo b", [file("a", b"b")])))
    lines = text.render_diff(diff_images(a, b), RenderOptions()).splitlines()
    assert lines[-1] == "Wasted bytes that differ (0 paths, net 0 B; 1 alike on both sides left out)"
    lines = text.render_diff(diff_images(a, b, "/usr/*.so.*"), RenderOptions()).splitlines()
    assert lines[-1] == ("Files: --path /usr/*.so.* matches no path in either image (`*` stays "
                         "inside one directory; `**` crosses them, see docs/globs.md).")
    lines = text.render_diff(diff_images(a, b, "/tmp"), RenderOptions()).splitlines()
    assert lines[-3:] == ["Files: no differences under /tmp (0 matching paths).", "",
                          "Wasted bytes that differ (0 paths, net 0 B; 1 alike on both sides "
                          "left out)"]


def test_file_changes_are_coloured_on_a_terminal(report):
    """With colour on (a terminal, NO_COLOR unset) the change word is yellow for changed and
    red for removed, as dive marks them; the columns stay where they are without colour."""
    from layerscope.formats.fit import Fit

    coloured = text.render_diff(report, RenderOptions(fit=Fit(colour=True))).splitlines()
    plain = text.render_diff(report, RenderOptions()).splitlines()
    row = plain.index("Change    Path                  Size A    Size B      Delta") + 2
    assert coloured[row: row + 2] == [
        "\x1b[33mchanged\x1b[0m   /usr/lib/big.so       2.0 MB    1.5 MB  -500.0 kB",
        "\x1b[31mremoved\x1b[0m   /usr/share/doc/big   30.0 kB       0 B   -30.0 kB"]
    assert plain[row: row + 2] == [
        "changed   /usr/lib/big.so       2.0 MB    1.5 MB  -500.0 kB",
        "removed   /usr/share/doc/big   30.0 kB       0 B   -30.0 kB"]
