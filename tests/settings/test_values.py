"""Value parsers: sizes and percents, as flags, config files and .dive-ci write them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from layerscope.rules.budgets.base import Growth
from layerscope.settings.values import (
    Invalid,
    parse_growth,
    parse_percent,
    parse_rule_ids,
    parse_size,
)


@pytest.mark.parametrize("text, size", [
    ("300MB", 300_000_000), ("300mb", 300_000_000), ("1.2GiB", 1_288_490_188),
    ("500kB", 500_000), ("500KB", 500_000), ("1KiB", 1024), ("2 MiB", 2 * 1024**2), ("42", 42),
    (42, 42), ("1GB", 10**9),
    ("0", 0), ("1.5kB", 1500), ("3T", 3 * 10**12),
])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["300XB", "MB", "-5", "1.5", "", True, -1, 1.5, "1e3MB"])
def test_bad_sizes(text):
    with pytest.raises(Invalid):
        parse_size(text)


def test_percents():
    assert parse_percent("10%") == 10
    assert parse_percent(" 12.5 % ") == Fraction(25, 2)
    for bad in ("10", 10, 0.9, "101%", "-1%", "x%"):
        with pytest.raises(Invalid):
            parse_percent(bad)


def test_growth_takes_a_percent_or_a_size_with_its_unit():
    assert parse_growth("10%") == Growth(Fraction(10), True)
    assert parse_growth("250%") == Growth(Fraction(250), True)  # growth may exceed 100%
    assert parse_growth("10MB") == Growth(Fraction(10_000_000), False)
    assert parse_growth("10B") == Growth(Fraction(10), False)
    assert parse_growth("0B") == Growth(Fraction(0), False)


@pytest.mark.parametrize("value, text", [("10", "10"), (10, "10"), (" 0 ", "0"), (1.5, "1.5")])
def test_growth_refuses_a_bare_number_and_says_what_to_write(value, text):
    with pytest.raises(Invalid) as caught:
        parse_growth(value)
    assert str(caught.value) == (f'a bare number could be bytes or a percent; write "{text}%" '
                                 f'(of the baseline) or "{text}MB" / "{text}B"')


@pytest.mark.parametrize("value", ["lots", "10XB", True, -3, "-3%"])
def test_growth_refuses_what_is_neither(value):
    with pytest.raises(Invalid):
        parse_growth(value)


def test_rule_ids_must_name_rules():
    assert parse_rule_ids(["LS001", "ls004"]) == ["LS001", "ls004"]
    with pytest.raises(Invalid) as caught:
        parse_rule_ids(["LS001", "LS999"])
    assert str(caught.value).startswith("no rule LS999; rules: LS001, LS002, ")
