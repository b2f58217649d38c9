"""formats/json_text: the text json.dumps(indent=2) writes, byte for byte, and every float of
the inspect, diff and check documents marked to be written as Python writes it (the report
fixtures are the formatter tests' own)."""

from __future__ import annotations

import json

import pytest

from layerscope.formats.json_report import diff_document, inspect_document
from layerscope.formats.json_text import Exact, indented
from tests.formats.test_diff_formats import grown as grown
from tests.formats.test_diff_formats import report as diff_report  # noqa: F401
from tests.formats.test_inspect_formats import report as inspect_report  # noqa: F401


def standard(document) -> str:
    return json.dumps(document, indent=2) + "\n"


# Python writes floats below 1e-4 and from 1e16 with an exponent (1e-05, 1e+16), msgspec
# without one or without the sign (0.00001, 1e16): the cases where the two would differ
CASES = {
    "floats Python writes with an exponent": {"small": Exact(1e-05), "tiny": Exact(2.5e-07),
                                              "big": Exact(1e16), "huge": Exact(1e22)},
    "ordinary floats": [Exact(0.5), Exact(0.0), Exact(-0.0), Exact(1 / 3), Exact(99.634701)],
    "empty containers at every depth": {"a": [], "b": {}, "c": [[], {}], "d": {"e": {"f": []}}},
    "text json escapes": {"path": "/usr/share/doc/é/ü\u2028", "tab": "a\tb\x00\x1f\"\\"},
    "a name that is not UTF-8 (surrogate-escaped)": {"path": "/tmp/\udcff\udcfe"},
    "integers beyond 64 bits": {"n": 2 ** 70, "m": -(2 ** 65)},
    "booleans, null, nesting": {"x": [True, False, None, {"y": [1, "2", {"z": 3}]}]},
}


@pytest.mark.parametrize("name", list(CASES))
def test_indented_is_the_standard_text(name):
    assert indented(CASES[name]) == standard(CASES[name])


def test_exact_floats_are_floats():
    assert Exact(0.25) == 0.25 and json.dumps(Exact(1e-05)) == "1e-05"


def _plain_floats(value, where="$"):
    if type(value) is float:
        yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _plain_floats(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _plain_floats(item, f"{where}[{index}]")


def test_every_float_of_the_inspect_document_is_exact(inspect_report):  # noqa: F811
    document = inspect_document(inspect_report)
    assert list(_plain_floats(document)) == []
    assert indented(document) == standard(document)


def test_every_float_of_the_diff_document_is_exact(diff_report, grown):  # noqa: F811
    for report in (diff_report, grown):
        document = diff_document(report)
        assert list(_plain_floats(document)) == []
        assert indented(document) == standard(document)
