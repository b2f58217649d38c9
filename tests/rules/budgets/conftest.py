"""Small analysed images with round numbers, for budget boundaries."""

from __future__ import annotations

import pytest

from layerscope.analysis.image_report import analyze
from layerscope.rules.budgets import BUDGETS
from layerscope.rules.budgets.base import CheckContext
from tests.analysis.conftest import build_image
from tests.imagebuilder import directory, file, whiteout


def story():
    """size 553,500 = base 1,500 + COPY 500,000 (all removed later) + RUN 52,000 + rm (0)."""
    return analyze(build_image(
        ("", [file("bin/sh", b"s" * 1500)]),
        ('/bin/sh -c #(nop)  CMD ["sh"]', None),
        ("/bin/sh -c #(nop) COPY dir:0a1b in /tmp/req ",
         [directory("tmp/req"), file("tmp/req/a", b"x" * 300_000),
          file("tmp/req/b", b"y" * 200_000)]),
        ("/bin/sh -c pip install -r /tmp/req/a", [file("usr/lib/pkg.py", b"z" * 52_000)]),
        ("/bin/sh -c rm -rf /tmp/req", [directory("tmp"), whiteout("tmp/req")]),
    ))


@pytest.fixture
def analysis():
    return story()


def judge(analysis, name, limit, **context):
    """Evaluate one budget the way the CLI does."""
    return BUDGETS[name].evaluate(CheckContext(analysis, **context), limit)
