"""check settings: precedence, config files, per-image sections, all errors at once."""

from __future__ import annotations

from fractions import Fraction

import pytest

from layerscope.errors import ConfigError
from layerscope.rules.budgets.base import Growth
from layerscope.settings import load_settings


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")


def flags(**values):
    return {key.replace("_", "-"): value for key, value in values.items()}


def test_nothing_set_means_every_budget_is_off(tmp_path):
    settings = load_settings("app:1", {}, cwd=tmp_path)
    assert settings.limits == {} and settings.files == ()


def test_precedence_defaults_file_image_section_dive_ci_flags(tmp_path):
    write(tmp_path, ".layerscope.toml", '''
[check]
max-size = "300MB"
max-layers = 10
max-wasted = "1MB"
min-efficiency = "90%"

[check.images."app:*"]
max-layers = 12

[check.images."other:1"]
max-layers = 99
''')
    write(tmp_path, "dive.yaml", "rules:\n  highestWastedBytes: 2MB\n")
    settings = load_settings("app:1", flags(max_size="1GB"), dive_ci="dive.yaml", cwd=tmp_path)
    assert settings.limits == {"max-size": 10**9, "max-layers": 12, "max-wasted": 2_000_000,
                               "min-efficiency": 90}
    assert settings.sources == {
        "max-size": "--max-size",
        "max-layers": '.layerscope.toml [check.images."app:*"]',
        "max-wasted": f"{tmp_path}/dive.yaml rules.highestWastedBytes",
        "min-efficiency": ".layerscope.toml [check]",
    }
    assert settings.files == (".layerscope.toml", f"{tmp_path}/dive.yaml")


def test_pyproject_table_and_explicit_config(tmp_path):
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n\n[tool.layerscope.check]\n'
                                      'max-size = "1.2GiB"\nforbid-paths = ["**/.git"]\n')
    settings = load_settings("app", {}, cwd=tmp_path)
    assert settings.limits == {"max-size": 1_288_490_188, "forbid-paths": ["**/.git"]}
    write(tmp_path, "ci.toml", "[check]\nmax-layers = 3\n")
    assert load_settings("app", {}, config="ci.toml", cwd=tmp_path).limits == {"max-layers": 3}


def test_dot_layerscope_toml_wins_and_pyproject_without_table_is_ignored(tmp_path):
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    assert load_settings("app", {}, cwd=tmp_path).files == ()
    write(tmp_path, ".layerscope.toml", "[check]\nmax-layers = 4\n")
    assert load_settings("app", {}, cwd=tmp_path).limits == {"max-layers": 4}


def test_flags_replace_lists_and_set_measuring_options(tmp_path):
    write(tmp_path, ".layerscope.toml", '[check]\nforbid-paths = ["/a"]\nuser = true\n'
                                        'max-growth = "5%"\nbaseline-json = "base.json"\n')
    settings = load_settings("app", flags(forbid_paths=["/b", "/c"], user=False,
                                          min_wasted_to_fail="10kB"), cwd=tmp_path)
    assert settings.limits["forbid-paths"] == ["/b", "/c"]
    assert settings.limits["max-growth"] == Growth(Fraction(5), True)
    assert (settings.user, settings.min_wasted_to_fail) == (False, 10_000)
    assert settings.baseline_json == f"{tmp_path}/base.json"  # relative to the config file


def test_every_problem_is_reported_at_once(tmp_path):
    write(tmp_path, ".layerscope.toml", '''
[check]
max-size = "300XB"
max-layers = 0
max-wasted-percent = 10
forbid-paths = "/var/lib/apt/lists/*"
max-sise = "1MB"

[check.images."other:*"]
fail-on = [1]
''')
    with pytest.raises(ConfigError) as caught:
        load_settings("app", flags(min_efficiency="0.9", max_growth="5%"), cwd=tmp_path)
    origin = ".layerscope.toml [check]"
    assert caught.value.problems == [
        f'max-size = "300XB" ({origin}): unknown unit \'XB\'; expected bytes, or a number with a '
        "unit: B, kB, MB, GB, TB (1000s) or KiB, MiB, GiB, TiB (1024s), e.g. 300MB, 1.2GiB, 500kB",
        f"max-layers = 0 ({origin}): expected a whole number of at least 1",
        f"max-wasted-percent = 10 ({origin}): write percents with a % sign; expected a percent "
        'from 0% to 100%, written with %, e.g. "10%"',
        f'forbid-paths = "/var/lib/apt/lists/*" ({origin}): expected a non-empty list of path '
        'globs, e.g. ["/var/lib/apt/lists/*", "**/.git"]',
        f"max-sise ({origin}): unknown setting (did you mean max-size?); allowed: max-size, "
        "max-user-size, max-layer-size, max-layers, max-wasted, max-wasted-percent, "
        "min-efficiency, max-growth, forbid-paths, fail-on, user, min-wasted-to-fail, baseline, "
        "baseline-json",
        'fail-on = [1] (.layerscope.toml [check.images."other:*"]): expected a non-empty list of '
        'advice rule IDs, e.g. ["LS001"]',
        'min-efficiency = "0.9" (--min-efficiency): write percents with a % sign; expected a '
        'percent from 0% to 100%, written with %, e.g. "10%"',
        "max-growth (--max-growth): needs a baseline; give --baseline IMAGE or "
        "--baseline-json FILE",
    ]
    assert caught.value.message.startswith("8 invalid check settings: max-size = ")
    assert "\n" not in caught.value.message


def test_unreadable_config_files(tmp_path):
    with pytest.raises(ConfigError, match=r"--config nope.toml: no such file"):
        load_settings("app", {}, config="nope.toml", cwd=tmp_path)
    write(tmp_path, ".layerscope.toml", "[check\n")
    with pytest.raises(ConfigError, match=r"\.layerscope\.toml: not valid TOML"):
        load_settings("app", {}, cwd=tmp_path)
    write(tmp_path, "x.toml", "[other]\n")
    with pytest.raises(ConfigError, match=r"x\.toml: has no \[check\] table"):
        load_settings("app", {}, config="x.toml", cwd=tmp_path)


def test_two_baselines_are_an_error(tmp_path):
    with pytest.raises(ConfigError, match="give one baseline, not both"):
        load_settings("app", flags(baseline="a:1", baseline_json="a.json", max_growth="1MB"),
                      cwd=tmp_path)


def test_an_unknown_fail_on_rule_is_an_error_from_a_flag_or_a_file(tmp_path):
    write(tmp_path, ".layerscope.toml", '[check]\nfail-on = ["LS001", "LS99"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings("app", flags(fail_on=["LS999"]), cwd=tmp_path)
    file_problem, flag_problem = caught.value.problems
    assert file_problem.startswith('fail-on = ["LS001", "LS99"] (.layerscope.toml [check]): '
                                   "no rule LS99; rules: LS001, ")
    assert flag_problem.startswith('fail-on = ["LS999"] (--fail-on): no rule LS999; rules: ')


def test_a_bare_growth_number_is_refused_in_a_file(tmp_path):
    write(tmp_path, ".layerscope.toml", '[check]\nmax-growth = 10\nbaseline-json = "b.json"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings("app", {}, cwd=tmp_path)
    assert caught.value.problems == [
        'max-growth = 10 (.layerscope.toml [check]): a bare number could be bytes or a percent; '
        'write "10%" (of the baseline) or "10MB" / "10B"']
