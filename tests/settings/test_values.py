"""Value parsers: sizes and percents, as flags, config files and .dive-ci write them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from layerscope.settings.values import Invalid, parse_percent, parse_size


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
