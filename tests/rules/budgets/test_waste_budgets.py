"""max-wasted, max-wasted-percent (--user, min-wasted-to-fail), min-efficiency."""

from __future__ import annotations

from fractions import Fraction

import pytest

from layerscope.analysis.image_report import analyze
from layerscope.rules.budgets.base import Status
from tests.analysis.conftest import build_image
from tests.imagebuilder import directory, file, whiteout
from tests.rules.budgets.conftest import judge


@pytest.mark.parametrize("limit, status", [(500_000, Status.PASS), (499_999, Status.FAIL)])
def test_max_wasted_boundary(analysis, limit, status):
    result = judge(analysis, "max-wasted", limit)
    assert (result.status, result.measured) == (status, 500_000)


def test_max_wasted_names_steps_and_paths(analysis):
    result = judge(analysis, "max-wasted", 0)
    step, path = result.contributors
    assert (step.kind, step.step, step.bytes) == ("step", 2, 500_000)
    assert step.detail == "dead: removed or replaced by step 4: RUN rm -rf /tmp/req"
    assert (path.kind, path.label, path.bytes) == ("path", "/tmp/req/ (2 files)", 500_000)
    assert path.detail == "removed: written by step 2, killed by step 4"


def percent_image():
    """size 1,000 (base 200 + user 800); 100 wasted in the user part: 10% / 12.5%."""
    return analyze(build_image(
        ("", [file("base", b"b" * 200)]),
        ("/bin/sh -c #(nop)  CMD [\"sh\"]", None),
        ("/bin/sh -c echo > /v", [file("v", b"1" * 100)]),
        ("/bin/sh -c echo > /v", [file("v", b"2" * 700)]),
    ))


@pytest.mark.parametrize("limit, status", [(Fraction(10), Status.PASS),
                                           (Fraction(999, 100), Status.FAIL)])
def test_max_wasted_percent_boundary(limit, status):
    result = judge(percent_image(), "max-wasted-percent", limit)
    assert (result.status, result.measured, result.unit) == (status, 10, "percent")


@pytest.mark.parametrize("limit, status", [(Fraction(25, 2), Status.PASS),
                                           (Fraction(12), Status.FAIL)])
def test_max_wasted_percent_of_the_user_part(limit, status):
    result = judge(percent_image(), "max-wasted-percent", limit, user=True)
    assert (result.status, result.measured) == (status, 12.5)
    assert result.message.startswith("wasted share of the user part 12.5% (100 B)")


def test_min_wasted_to_fail_floor():
    image = percent_image()
    below = judge(image, "max-wasted-percent", Fraction(5), min_wasted_to_fail=101)
    assert below.status is Status.PASS
    assert below.message == ("wasted share of the image 10.0% is over the 5.0% limit, but 100 B "
                             "is below the 101 B min-wasted-to-fail floor")
    at = judge(image, "max-wasted-percent", Fraction(5), min_wasted_to_fail=100)
    assert at.status is Status.FAIL


@pytest.mark.parametrize("limit, status", [(Fraction(30), Status.PASS),
                                           (Fraction(3001, 100), Status.FAIL)])
def test_min_efficiency_boundary(limit, status):
    # dive: smallest sizes 200 + 100 over all sizes 200 + 100 + 700 = 0.3
    result = judge(percent_image(), "min-efficiency", limit)
    assert (result.status, result.measured) == (status, 30.0)
    if status is Status.FAIL:
        assert result.message == "efficiency (dive's score) 30.0% is under the 30.01% minimum"
        assert result.contributors[0].step == 2


def test_check_and_inspect_count_a_group_alike():
    """/d held a 100-byte file and an empty one: both died, so both count, in check's path
    contributor and in inspect's wasted table."""
    from layerscope.formats.base import RenderOptions
    from layerscope.formats.text import render_inspect

    analysis = analyze(build_image(
        ("/bin/sh -c fill", [directory("d"), file("d/a", b"a" * 100), file("d/empty", b"")]),
        ("/bin/sh -c rm -rf /d", [whiteout("d")]),
    ))
    (path,) = [c for c in judge(analysis, "max-wasted", 0).contributors if c.kind == "path"]
    assert (path.label, path.bytes) == ("/d/ (2 files)", 100)
    text = render_inspect(analysis.report, RenderOptions())
    assert "(1 of 1 groups, 2 files)" in text
    assert "100 B  removed  /d/ (2 files)" in text
