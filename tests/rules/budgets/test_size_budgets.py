"""max-size, max-user-size, max-layer-size, max-layers: equal to the limit passes."""

from __future__ import annotations

import pytest

from layerscope.rules.budgets.base import Status
from tests.rules.budgets.conftest import judge


@pytest.mark.parametrize("limit, status", [(553_500, Status.PASS), (553_499, Status.FAIL)])
def test_max_size_boundary(analysis, limit, status):
    result = judge(analysis, "max-size", limit)
    assert (result.status, result.measured, result.limit) == (status, 553_500, limit)


def test_max_size_failure_names_the_largest_steps(analysis):
    result = judge(analysis, "max-size", 300_000, top=2)
    assert result.message == "image size 553.5 kB is over the 300.0 kB limit by 253.5 kB"
    assert [(c.step, c.bytes, c.label) for c in result.contributors] == [
        (2, 500_000, "COPY dir:0a1b in /tmp/req"), (3, 52_000, "RUN pip install -r /tmp/req/a")]


def test_passing_budget_lists_no_contributors(analysis):
    result = judge(analysis, "max-size", 10**9)
    assert result.contributors == ()
    assert result.message == "image size 553.5 kB is within the 1.0 GB limit"


@pytest.mark.parametrize("limit, status", [(552_000, Status.PASS), (551_999, Status.FAIL)])
def test_max_user_size_boundary_excludes_the_base(analysis, limit, status):
    result = judge(analysis, "max-user-size", limit)
    assert (result.status, result.measured) == (status, 552_000)
    if status is Status.FAIL:
        assert all(c.step != 0 for c in result.contributors)


@pytest.mark.parametrize("limit, status", [(500_000, Status.PASS), (499_999, Status.FAIL)])
def test_max_layer_size_boundary(analysis, limit, status):
    result = judge(analysis, "max-layer-size", limit)
    assert (result.status, result.measured) == (status, 500_000)


def test_max_layer_size_lists_every_layer_over(analysis):
    result = judge(analysis, "max-layer-size", 1_000)
    assert [c.step for c in result.contributors] == [2, 3, 0]
    assert result.message.endswith("(3 layers are over)")


@pytest.mark.parametrize("limit, status", [(4, Status.PASS), (3, Status.FAIL)])
def test_max_layers_boundary(analysis, limit, status):
    result = judge(analysis, "max-layers", limit)
    assert (result.status, result.measured, result.unit) == (status, 4, "count")


def test_max_layers_failure_lists_own_layers_smallest_first(analysis):
    result = judge(analysis, "max-layers", 2)
    assert [c.step for c in result.contributors] == [4, 3, 2]
