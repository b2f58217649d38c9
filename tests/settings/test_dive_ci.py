"""dive's .dive-ci read as check settings: the rules mapping, disabled rules, every problem."""

from __future__ import annotations

from fractions import Fraction

import pytest

from layerscope.errors import ConfigError
from layerscope.settings import load_settings


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")


def flags(**values):
    return {key.replace("_", "-"): value for key, value in values.items()}


DIVE_CI = """\
rules:
  # If the efficiency is measured below X%, mark as failed.
  # Expressed as a ratio between 0-1.
  lowestEfficiency: 0.95

  # If the amount of wasted space is at least X or larger than X, mark as failed.
  # Expressed in B, KB, MB, and GB.
  highestWastedBytes: 20MB

  # If the amount of wasted space makes up for X% or more of the image, mark as failed.
  highestUserWastedPercent: "0.20"   # quoted values work too
"""


def test_dive_ci_translation(tmp_path):
    write(tmp_path, ".dive-ci", DIVE_CI)
    settings = load_settings("app", {}, dive_ci=".dive-ci", cwd=tmp_path)
    assert settings.limits == {"min-efficiency": 95, "max-wasted": 20_000_000,
                               "max-wasted-percent": 20}
    assert settings.user is True
    assert settings.sources["min-efficiency"] == f"{tmp_path}/.dive-ci rules.lowestEfficiency"


def test_dive_ci_disabled_rules_and_flags_on_top(tmp_path):
    write(tmp_path, ".dive-ci", "rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: 1MB\n")
    settings = load_settings("app", flags(max_wasted="3MB"), dive_ci=".dive-ci", cwd=tmp_path)
    assert settings.limits == {"max-wasted": 3_000_000}


def test_dive_ci_errors_are_reported_together(tmp_path):
    write(tmp_path, ".dive-ci", "rules:\n  lowestEfficiency: 1.5\n  highestWastedBytes: lots\n"
                                "  biggestLayer: 1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings("app", {}, dive_ci=".dive-ci", cwd=tmp_path)
    name = f"{tmp_path}/.dive-ci"
    assert caught.value.problems == [
        f'rules.lowestEfficiency = "1.5" ({name} line 2): expected a ratio from 0 to 1, e.g. 0.9',
        f'rules.highestWastedBytes = "lots" ({name} line 3): expected bytes, or a number with a '
        "unit: B, kB, MB, GB, TB (1000s) or KiB, MiB, GiB, TiB (1024s), e.g. 300MB, 1.2GiB, "
        "500kB, or disabled",
        f"rules.biggestLayer ({name} line 4): not a dive CI rule; allowed: lowestEfficiency, "
        "highestWastedBytes, highestUserWastedPercent",
    ]


def test_flow_style_rules_are_read(tmp_path):
    # the hand-written reader took this for no rules at all, and the check passed unchecked
    write(tmp_path, ".dive-ci", "rules: {lowestEfficiency: 0.999}\n")
    settings = load_settings("app", {}, dive_ci=".dive-ci", cwd=tmp_path)
    assert settings.limits == {"min-efficiency": Fraction(999, 10)}
    assert settings.sources == {"min-efficiency": f"{tmp_path}/.dive-ci rules.lowestEfficiency"}


def test_values_may_be_numbers_strings_or_disabled(tmp_path):
    write(tmp_path, ".dive-ci", "rules:\n  lowestEfficiency: '0.5'\n  highestWastedBytes: 2048\n"
                                "  highestUserWastedPercent: DISABLED\n")
    settings = load_settings("app", {}, dive_ci=".dive-ci", cwd=tmp_path)
    assert settings.limits == {"min-efficiency": 50, "max-wasted": 2048}
    assert settings.user is False
    write(tmp_path, ".dive-ci", "rules:\n  lowestEfficiency: 1\n  highestWastedBytes: \"1 MiB\"\n")
    settings = load_settings("app", {}, dive_ci=".dive-ci", cwd=tmp_path)
    assert settings.limits == {"min-efficiency": 100, "max-wasted": 2**20}


def test_no_rules_or_empty_rules_check_nothing(tmp_path):
    for text in ("", "# nothing yet\n", "rules:\n  # lowestEfficiency: 0.9\n", "other: 1\n"):
        write(tmp_path, ".dive-ci", text)
        assert load_settings("app", {}, dive_ci=".dive-ci", cwd=tmp_path).limits == {}


@pytest.mark.parametrize("text, problem", [
    ("- lowestEfficiency: 0.9\n", "--dive-ci {name}: expected a mapping with a rules: mapping, "
                                  "e.g. rules: {{lowestEfficiency: 0.9}}"),
    ("just text\n", "--dive-ci {name}: expected a mapping with a rules: mapping, "
                    "e.g. rules: {{lowestEfficiency: 0.9}}"),
    ("# dive CI\nrules:\n  - lowestEfficiency: 0.9\n",
     "rules ({name} line 2): expected a mapping of dive CI rules, "
     "e.g. rules: {{lowestEfficiency: 0.9}}"),
    ("rules: 0.9\n", "rules ({name} line 1): expected a mapping of dive CI rules, "
                     "e.g. rules: {{lowestEfficiency: 0.9}}"),
])
def test_a_file_or_rules_that_is_not_a_mapping_is_an_error(tmp_path, text, problem):
    write(tmp_path, ".dive-ci", text)
    with pytest.raises(ConfigError) as caught:
        load_settings("app", {}, dive_ci=".dive-ci", cwd=tmp_path)
    assert caught.value.problems == [problem.format(name=f"{tmp_path}/.dive-ci")]


def test_yaml_syntax_error_is_one_line_naming_file_and_line(tmp_path):
    write(tmp_path, ".dive-ci", "rules:\n  lowestEfficiency: 0.9\n   highestWastedBytes: [1MB\n")
    with pytest.raises(ConfigError) as caught:
        load_settings("app", {}, dive_ci=".dive-ci", cwd=tmp_path)
    [problem] = caught.value.problems
    assert problem.startswith(f"--dive-ci {tmp_path}/.dive-ci line 3: not valid YAML: ")
    assert "\n" not in caught.value.message


def test_values_of_the_wrong_type_name_the_rule(tmp_path):
    write(tmp_path, ".dive-ci", "rules:\n  lowestEfficiency: true\n  highestWastedBytes: [1]\n"
                                "  highestUserWastedPercent:\n")
    with pytest.raises(ConfigError) as caught:
        load_settings("app", {}, dive_ci=".dive-ci", cwd=tmp_path)
    name = f"{tmp_path}/.dive-ci"
    assert [p.split(": expected")[0] for p in caught.value.problems] == [
        f'rules.lowestEfficiency = "true" ({name} line 2)',
        f"rules.highestWastedBytes = [1] ({name} line 3)",
        f'rules.highestUserWastedPercent = "" ({name} line 4)',
    ]


def test_missing_dive_ci(tmp_path):
    with pytest.raises(ConfigError, match=r"--dive-ci .*/nope: no such file"):
        load_settings("app", {}, dive_ci="nope", cwd=tmp_path)


def test_reading_settings_imports_yaml_only_for_a_dive_ci(tmp_path):
    import subprocess
    import sys

    code = ("import sys, pathlib; from layerscope.settings import load_settings; "
            "load_settings('app', {}, cwd=pathlib.Path(sys.argv[1])); print('yaml' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                            text=True, check=True)
    assert result.stdout == "False\n"
