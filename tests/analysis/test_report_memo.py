"""The report cache: keys that change with everything a report depends on, and a round trip."""

from __future__ import annotations

from layerscope.analysis import report_memo
from layerscope.analysis.image_report import inspect_image
from layerscope.model import LayerDigests
from tests.analysis.conftest import build_image
from tests.imagebuilder import file


def test_key_changes_with_image_base_and_options():
    base = LayerDigests("base:1", ("sha256:" + "a" * 64,), 2)
    key = report_memo.report_key("sha256:" + "1" * 64, None, ("inspect", "x", False))
    assert key == report_memo.report_key("sha256:" + "1" * 64, None, ("inspect", "x", False))
    assert key != report_memo.report_key("sha256:" + "2" * 64, None, ("inspect", "x", False))
    assert key != report_memo.report_key("sha256:" + "1" * 64, base, ("inspect", "x", False))
    assert key != report_memo.report_key("sha256:" + "1" * 64, None, ("inspect", "x", True))


def test_report_round_trip_and_garbage_is_none():
    report = inspect_image(build_image(("RUN a", [file("a", b"123")])))
    assert report_memo.loads(report_memo.dumps(report)) == report
    assert report_memo.loads(b"not a pickle") is None
    assert report_memo.loads(report_memo.dumps({"not": "a report"})) is None
