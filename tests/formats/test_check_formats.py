"""check renderers: exact text and GitHub annotations, JUnit parsed back, JSON keys, Markdown."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest

from layerscope.formats.base import FORMATS, RenderOptions, formatter
from layerscope.formats.github import append_step_summary, escape_data, escape_property
from layerscope.rules.budgets import CheckContext, run_budgets
from layerscope.rules.budgets.base import Growth
from tests.rules.budgets.conftest import story

# max-growth without a baseline is the skipped budget (an unknown fail-on ID is now an error)
LIMITS = {"max-size": 300_000, "max-layers": 10, "max-wasted-percent": Fraction(95),
          "max-growth": Growth(Fraction(10), True)}


@pytest.fixture(scope="module")
def result():
    analysis = story()
    return run_budgets(analysis, LIMITS, CheckContext(analysis, top=2),
                       {"max-size": "--max-size", "max-layers": ".layerscope.toml [check]"},
                       (".layerscope.toml",))


def render(name, result):
    return formatter("check", name)(result, RenderOptions(top=2))


def test_registry_has_every_check_format():
    assert set(FORMATS["check"]) == {"text", "json", "markdown", "junit", "github", "html"}


EXPECTED_TEXT = """\
layerscope check test:latest (sha256:000000000000, linux/amd64): FAIL: 1 of 4 budgets failed (2 passed, 1 skipped)
FAIL  max-size            image size 553.5 kB is over the 300.0 kB limit by 253.5 kB
       500.0 kB  step 2: COPY dir:0a1b in /tmp/req
        52.0 kB  step 3: RUN pip install -r /tmp/req/a
PASS  max-layers          layer count 4 is within the 10 limit
PASS  max-wasted-percent  wasted share of the image 90.33% (500.0 kB) is within the 95.0% limit
SKIP  max-growth          no baseline given (--baseline IMAGE or --baseline-json FILE)
settings from: .layerscope.toml (and flags)
"""


def test_text_exact(result):
    assert render("text", result) == EXPECTED_TEXT


def test_text_when_no_budget_is_set():
    analysis = story()
    text = render("text", run_budgets(analysis, {}))
    assert text == ("layerscope check test:latest (sha256:000000000000, linux/amd64): PASS: no "
                    "budgets set, nothing to check (see docs/check.md)\n")


EXPECTED_GITHUB = """\
::error title=layerscope check max-size (test%3Alatest)::image size 553.5 kB is over the 300.0 kB limit by 253.5 kB%0A500.0 kB  step 2: COPY dir:0a1b in /tmp/req%0A52.0 kB  step 3: RUN pip install -r /tmp/req/a
PASS  max-layers: layer count 4 is within the 10 limit
PASS  max-wasted-percent: wasted share of the image 90.33% (500.0 kB) is within the 95.0% limit
::warning title=layerscope check max-growth (test%3Alatest)::no baseline given (--baseline IMAGE or --baseline-json FILE)
layerscope check test:latest: FAIL: 1 of 4 budgets failed (2 passed, 1 skipped)
"""


def test_github_annotations_exact(result):
    assert render("github", result) == EXPECTED_GITHUB


def test_github_escaping():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b, c") == "a%3Ab%2C c"


def test_github_step_summary_is_appended(result, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    assert append_step_summary(result, RenderOptions(), {"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### ❌ layerscope check `test:latest`: FAIL")
    assert append_step_summary(result, RenderOptions(), {}) is None


def test_junit_parses_with_one_testcase_per_budget(result):
    root = ET.fromstring(render("junit", result).encode())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("4", "1", "1")
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["max-size", "max-layers", "max-wasted-percent",
                                              "max-growth"]
    assert {c.get("classname") for c in cases} == {"layerscope.check.test:latest"}
    failure = cases[0].find("failure")
    assert failure.get("message") == "image size 553.5 kB is over the 300.0 kB limit by 253.5 kB"
    assert failure.text.splitlines() == [
        "image size 553.5 kB is over the 300.0 kB limit by 253.5 kB",
        "top contributors:",
        "   500.0 kB  step 2: COPY dir:0a1b in /tmp/req",
        "    52.0 kB  step 3: RUN pip install -r /tmp/req/a",
    ]
    assert cases[1].find("failure") is None and cases[1].find("skipped") is None
    assert cases[3].find("skipped").get("message") == (
        "no baseline given (--baseline IMAGE or --baseline-json FILE)")
    properties = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert properties["size"] == "553500"


def test_json_document(result):
    document = json.loads(render("json", result))
    assert document["schema"] == "layerscope/check/v1"
    assert (document["status"], document["counts"]) == ("fail", {"pass": 2, "fail": 1, "skip": 1})
    assert document["config_files"] == [".layerscope.toml"]
    size, layers, percent, growth = document["budgets"]
    assert size == {
        "name": "max-size", "status": "fail", "unit": "bytes", "measured": 553_500,
        "limit": 300_000, "message": "image size 553.5 kB is over the 300.0 kB limit by 253.5 kB",
        "source": "--max-size",
        "contributors": [
            {"kind": "step", "label": "COPY dir:0a1b in /tmp/req", "bytes": 500_000, "step": 2,
             "detail": ""},
            {"kind": "step", "label": "RUN pip install -r /tmp/req/a", "bytes": 52_000, "step": 3,
             "detail": ""},
        ],
    }
    assert layers["source"] == ".layerscope.toml [check]"
    assert (percent["unit"], percent["measured"], percent["limit"]) == ("percent", 90.3342, 95)
    assert (growth["status"], growth["unit"], growth["measured"], growth["limit"]) == (
        "skip", "percent", None, 10)


def test_markdown_table_and_failure_details(result):
    text = render("markdown", result)
    assert "| ❌ FAIL | `max-size` | 553.5 kB | ≤ 300.0 kB |" in text
    assert "| ⏭️ SKIP | `max-growth` | - | ≤ 10.0% |" in text
    assert "| 500.0 kB | step 2: COPY dir:0a1b in /tmp/req |" in text
