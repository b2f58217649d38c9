"""max-growth against a baseline, forbid-paths globs on the final filesystem, fail-on's seam."""

from __future__ import annotations

from fractions import Fraction

import pytest

from layerscope.analysis.globs import glob_regex
from layerscope.analysis.image_report import analyze
from layerscope.rules.base import RuleError
from layerscope.rules.budgets.base import Baseline, Growth, Status
from tests.analysis.conftest import build_image
from tests.imagebuilder import directory, file, symlink
from tests.rules.budgets.conftest import judge

# the story image is 553,500 bytes; this baseline is 500,000 with a smaller pip step
BASELINE = Baseline("app:old", 500_000, (("(no instruction recorded)", 1_500),
                                         ("COPY dir:0a1b in /tmp/req", 450_000),
                                         ("RUN pip install -r /tmp/req/a", 48_500)))


@pytest.mark.parametrize("limit, status", [(53_500, Status.PASS), (53_499, Status.FAIL)])
def test_max_growth_bytes_boundary(analysis, limit, status):
    result = judge(analysis, "max-growth", Growth(Fraction(limit), False), baseline=BASELINE)
    assert (result.status, result.measured, result.limit) == (status, 53_500, limit)


@pytest.mark.parametrize("limit, status", [(Fraction(107, 10), Status.PASS),
                                           (Fraction(1069, 100), Status.FAIL)])
def test_max_growth_percent_boundary(analysis, limit, status):
    result = judge(analysis, "max-growth", Growth(limit, True), baseline=BASELINE)
    assert (result.status, result.measured, result.unit) == (status, 10.7, "percent")


def test_max_growth_names_the_steps_that_grew(analysis):
    result = judge(analysis, "max-growth", Growth(Fraction(0), False), baseline=BASELINE)
    assert result.message == ("growth against app:old (500.0 kB) +53.5 kB is over the 0 B limit "
                              "by 53.5 kB")
    assert [(c.step, c.bytes, c.detail) for c in result.contributors] == [
        (2, 50_000, "grew from 450.0 kB to 500.0 kB"), (3, 3_500, "grew from 48.5 kB to 52.0 kB")]


def test_max_growth_without_baseline_is_skipped(analysis):
    assert judge(analysis, "max-growth", Growth(Fraction(1), False)).status is Status.SKIP


@pytest.mark.parametrize("glob, path, hit", [
    ("/var/lib/apt/lists/*", "/var/lib/apt/lists/x_Packages", True),
    ("/var/lib/apt/lists/*", "/var/lib/apt/lists/partial/y", False),
    ("/var/lib/apt/lists/*", "/var/lib/apt/lists", False),
    ("**/.git", "/.git", True),
    ("**/.git", "/src/app/.git", True),
    ("**/.git", "/src/app/.github", False),
    ("**/*.pem", "/etc/ssl/key.pem", True),
    ("*.pem", "/etc/ssl/key.pem", True),
    ("*.pem", "/etc/ssl/key.pem.bak", False),
    ("/etc/ssl/[kx]ey.pem", "/etc/ssl/key.pem", True),
    ("/etc/ssl/[!k]ey.pem", "/etc/ssl/key.pem", False),
    ("/tmp/**", "/tmp/a/b/c", True),
    ("/tmp/**", "/tmp", False),
    ("/a?c", "/abc", True),
    ("/a?c", "/a/c", False),
])
def test_glob_syntax(glob, path, hit):
    assert bool(glob_regex(glob).match(path)) is hit


def paths_image():
    return analyze(build_image(
        ("/bin/sh -c fill", [directory("src"), directory("src/.git"),
                             file("src/.git/config", b"c" * 100),
                             file("src/.git/objects/ab", b"o" * 900),
                             file("etc/ssl/key.pem", b"k" * 50),
                             symlink("etc/ssl/link.pem", "key.pem"),
                             file("var/lib/apt/lists/a_Packages", b"p" * 2000)]),
        ("/bin/sh -c rm", [file("var/lib/apt/lists/a_Packages", b"q" * 10)]),
    ))


def test_forbid_paths_reports_each_match_with_its_bytes():
    result = judge(paths_image(), "forbid-paths", ["**/.git", "*.pem", "/opt/**"])
    assert result.status is Status.FAIL
    assert [(c.label, c.bytes, c.detail) for c in result.contributors] == [
        ("/src/.git/", 1000, "matches **/.git, 2 files"),
        ("/etc/ssl/key.pem", 50, "matches *.pem"),
        ("/etc/ssl/link.pem", 7, "matches *.pem"),
    ]
    assert result.measured == 1057
    # files: /src/.git holds config and objects/ab; *.pem matches key.pem and the link
    assert result.message == ("forbidden paths in the final filesystem, 1.1 kB: **/.git matches "
                              "2 files in 1 path (1.0 kB); *.pem matches 2 files in 2 paths "
                              "(57 B)")


def test_forbid_paths_lists_every_glob_that_matched():
    # with --top 1 the .git directory (1,000 B) no longer crowds out the .pem files
    result = judge(paths_image(), "forbid-paths", ["**/.git", "*.pem"], top=1)
    assert [(c.label, c.bytes, c.detail) for c in result.contributors] == [
        ("/src/.git/", 1000, "matches **/.git, 2 files"),
        ("/etc/ssl/key.pem", 50, "matches *.pem"),
    ]


def test_forbid_paths_counts_only_live_bytes():
    result = judge(paths_image(), "forbid-paths", ["/var/lib/apt/lists/*"])
    assert [(c.label, c.bytes) for c in result.contributors] == [
        ("/var/lib/apt/lists/a_Packages", 10)]


def test_forbid_paths_passes_when_nothing_matches():
    result = judge(paths_image(), "forbid-paths", ["/opt/**", "**/*.key"])
    assert (result.status, result.measured) == (Status.PASS, 0)
    assert result.message == "none of the 2 globs matches anything in the final filesystem"


def test_fail_on_fails_when_a_listed_rule_fires_on_the_users_steps(analysis):
    result = judge(analysis, "fail-on", ["LS002", "LS004"])
    assert (result.status, result.measured) == (Status.FAIL, 1)
    assert result.message == "1 finding(s) of LS002, LS004 fired"
    (contributor,) = result.contributors
    assert contributor.label.startswith("LS002 ") and contributor.bytes == 500_000
    assert contributor.step == 2


def test_fail_on_passes_when_no_listed_rule_fires(analysis):
    result = judge(analysis, "fail-on", ["LS004"])
    assert (result.status, result.measured, result.message) == (Status.PASS, 0, "none of LS004 fired")


def test_fail_on_with_an_unknown_rule_is_an_error(analysis):
    with pytest.raises(RuleError) as raised:
        judge(analysis, "fail-on", ["LS001", "DL3009"])
    assert raised.value.message == "fail-on: no rule DL3009"
    assert raised.value.hint.startswith("rules: LS001, LS002, ")
