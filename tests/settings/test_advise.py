"""advise's `ignore` setting: read from the same config file, found the same way, as check's."""

from __future__ import annotations

import pytest

from layerscope.errors import ConfigError
from layerscope.settings import advise_ignore, load_settings


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")


def test_no_file_or_no_table_ignores_nothing(tmp_path):
    assert advise_ignore(cwd=tmp_path) == []
    write(tmp_path, "ci.toml", "[check]\nmax-layers = 3\n")
    assert advise_ignore("ci.toml", cwd=tmp_path) == []


def test_tables_of_each_file(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.layerscope.advise]\nignore = ["LS001"]\n')
    assert advise_ignore(cwd=tmp_path) == ["LS001"]
    write(tmp_path, ".layerscope.toml", '[advise]\nignore = ["ls007", "LS008"]\n')
    assert advise_ignore(cwd=tmp_path) == ["ls007", "LS008"]
    write(tmp_path, "ci.toml", '[advise]\nignore = ["LS002"]\n')
    assert advise_ignore("ci.toml", cwd=tmp_path) == ["LS002"]


def test_one_file_per_command_found_the_same_way(tmp_path):
    # each command reads the first file that has its table, so neither trips on the other's
    write(tmp_path, ".layerscope.toml", "[check]\nmax-layers = 4\n")
    write(tmp_path, "pyproject.toml", '[tool.layerscope.advise]\nignore = ["LS003"]\n')
    assert advise_ignore(cwd=tmp_path) == ["LS003"]
    assert load_settings("app", {}, cwd=tmp_path).files == (".layerscope.toml",)
    write(tmp_path, ".layerscope.toml", '[advise]\nignore = ["LS004"]\n')
    assert advise_ignore(cwd=tmp_path) == ["LS004"]
    assert load_settings("app", {}, cwd=tmp_path).files == ()


def test_every_problem_at_once(tmp_path):
    write(tmp_path, ".layerscope.toml", '[advise]\nignore = ["LS001", "LS404"]\nignored = 1\n')
    with pytest.raises(ConfigError) as caught:
        advise_ignore(cwd=tmp_path)
    assert caught.value.problems == [
        "ignored (.layerscope.toml [advise]): unknown setting; allowed: ignore",
        "ignore (.layerscope.toml [advise]): no rule LS404; rules: LS001, LS002, LS003, LS004, "
        "LS005, LS006, LS007, LS008",
    ]
    assert caught.value.hint == "docs/rules/README.md lists the rules"
    write(tmp_path, ".layerscope.toml", '[advise]\nignore = "LS001"\n')
    with pytest.raises(ConfigError, match=r"ignore \(\.layerscope\.toml \[advise\]\): expected a "
                                          r"non-empty list of advice rule IDs"):
        advise_ignore(cwd=tmp_path)


@pytest.mark.parametrize("name, text, config, problem", [
    (None, None, "nope.toml", "--config nope.toml: no such file"),
    (".layerscope.toml", "advise = 1\n", None, ".layerscope.toml: [advise] must be a table"),
    ("pyproject.toml", "[tool.layerscope]\nadvise = []\n", None,
     "pyproject.toml: [tool.layerscope.advise] must be a table"),
    (".layerscope.toml", "[advise\n", None, ".layerscope.toml: not valid TOML: "),
])
def test_files_that_cannot_be_used(tmp_path, name, text, config, problem):
    if name:
        write(tmp_path, name, text)
    with pytest.raises(ConfigError) as caught:
        advise_ignore(config, cwd=tmp_path)
    [found] = caught.value.problems
    assert found.startswith(problem)
