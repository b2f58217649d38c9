"""`layerscope check` as CI runs it: exit 0 pass / 1 fail / 2 error, several outputs in one run."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.imagebuilder import ImageSpec, Step, file, whiteout, write_docker_archive

# 3 layers, 1,600 bytes; /tmp/blob (1,000) is written by step 1 and removed by step 2
SPEC = ImageSpec((
    Step("COPY app /app", (file("/app/main.py", "m" * 500), file("/app/key.pem", "k" * 100))),
    Step("COPY blob /tmp/blob", (file("/tmp/blob", "b" * 1000),)),
    Step("RUN rm /tmp/blob", (whiteout("/tmp/blob"),)),
), repo_tag="app:1")


def run(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "layerscope", "check", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120, env=env)


@pytest.fixture
def archive(tmp_path):
    return write_docker_archive(SPEC, tmp_path / "app.tar")


def test_all_pass_exits_0(archive, tmp_path):
    result = run(archive, "--max-size", "1600", "--max-wasted", "1kB", "--max-layers", "3",
                 cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1:] == [
        "PASS  max-size    image size 1.6 kB is within the 1.6 kB limit",
        "PASS  max-layers  layer count 3 is within the 3 limit",
        "PASS  max-wasted  wasted bytes 1.0 kB is within the 1.0 kB limit",
    ]


def test_a_failure_exits_1_and_names_the_contributors(archive, tmp_path):
    result = run(archive, "--max-size", "1599", "--max-wasted", "999", "--forbid-paths", "*.pem",
                 cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "FAIL  max-size" in result.stdout
    assert "1.0 kB  step 1: COPY blob /tmp/blob" in result.stdout
    assert "/tmp/blob (removed: written by step 1, killed by step 2)" in result.stdout
    assert "100 B  /app/key.pem (matches *.pem)" in result.stdout


def test_config_file_and_flags_precedence(archive, tmp_path):
    (tmp_path / ".layerscope.toml").write_text(
        '[check]\nmax-size = "1kB"\n\n[check.images."*app.tar"]\nmax-layers = 2\n')
    assert run(archive, cwd=tmp_path).returncode == 1
    result = run(archive, "--max-size", "2kB", "--max-layers", "3", "--format", "json",
                 cwd=tmp_path)
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert [(b["name"], b["limit"], b["source"]) for b in document["budgets"]] == [
        ("max-size", 2000, "--max-size"), ("max-layers", 3, "--max-layers")]
    assert document["config_files"] == [".layerscope.toml"]


def test_several_outputs_in_one_run(archive, tmp_path):
    summary = tmp_path / "summary.md"
    env = {**__import__("os").environ, "GITHUB_STEP_SUMMARY": str(summary)}
    result = run(archive, "--max-size", "1kB", "--format", "github", "-o", "junit=report.xml",
                 "--output", "json=report.json", "-o", "markdown=report.md", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert result.stdout.startswith("::error title=layerscope check max-size (app%3A1)::")
    suite = ET.parse(tmp_path / "report.xml").getroot().find("testsuite")
    assert suite.find("testcase").find("failure") is not None
    assert json.loads((tmp_path / "report.json").read_text())["status"] == "fail"
    assert "❌ FAIL" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "layerscope check `app:1`" in summary.read_text(encoding="utf-8")


def test_plain_output_file_takes_the_report_off_stdout(archive, tmp_path):
    result = run(archive, "--max-size", "1GB", "-o", "out.txt", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")
    assert "PASS  max-size" in (tmp_path / "out.txt").read_text()


def test_baseline_json_growth(archive, tmp_path):
    inspect = subprocess.run([sys.executable, "-m", "layerscope", "inspect", archive, "--format",
                              "json", "-o", "base.json"], cwd=tmp_path, capture_output=True)
    assert inspect.returncode == 0
    result = run(archive, "--max-growth", "0B", "--baseline-json", "base.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "PASS  max-growth  growth against app:1 (1.6 kB) +0 B is within the 0 B limit" \
        in result.stdout


def test_dive_ci(archive, tmp_path):
    (tmp_path / ".dive-ci").write_text("rules:\n  highestWastedBytes: 500B\n")
    result = run(archive, "--dive-ci", ".dive-ci", cwd=tmp_path)
    assert result.returncode == 1
    assert "FAIL  max-wasted  wasted bytes 1.0 kB is over the 500 B limit by 500 B" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--max-size", "lots"], "layerscope: error: invalid check setting: max-size = \"lots\" "
                             "(--max-size): not a size;"),
    (["--max-size", "1XB", "--max-layers", "0"], "layerscope: error: 2 invalid check settings: "),
    (["--max-growth", "5%"], "max-growth (--max-growth): needs a baseline"),
    (["--max-growth", "10", "--baseline-json", "b.json"],
     'max-growth = "10" (--max-growth): a bare number could be bytes or a percent; write "10%" '
     '(of the baseline) or "10MB" / "10B"'),
    (["--fail-on", "LS999"], 'fail-on = ["LS999"] (--fail-on): no rule LS999; rules: LS001, '),
    (["--config", "missing.toml"], "--config missing.toml: no such file"),
    (["-o", "xml=out.xml"], "--output xml=out.xml: unknown format 'xml'"),
])
def test_errors_exit_2_with_one_line(archive, tmp_path, args, message):
    result = run(archive, *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr.splitlines()[0]
    assert result.stderr.splitlines()[1].startswith("hint: ")


def test_missing_image_exits_2(tmp_path):
    result = run(tmp_path / "nope.tar", "--max-size", "1GB", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("layerscope: error: ")


def test_no_budgets_warns_and_passes(archive, tmp_path):
    result = run(archive, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr.startswith("layerscope: warning: no budgets set")
    assert run(archive, "-q", cwd=tmp_path).stderr == ""


# SPEC without its last two steps: 600 bytes, so SPEC grew by 1,000 bytes, 1000/600 = 166.67%
SMALL = ImageSpec(SPEC.steps[:1], repo_tag="app:0")
GROWTH_MESSAGE = "growth against app:0 (600 B) 166.67% (+1.0 kB) is over the 100.0% limit"


def test_diff_fail_on_growth_says_what_check_max_growth_says(archive, tmp_path):
    small = write_docker_archive(SMALL, tmp_path / "small.tar")
    checked = run(archive, "--baseline", small, "--max-growth", "100%", "--format", "json",
                  cwd=tmp_path)
    assert checked.returncode == 1, checked.stderr
    (budget,) = json.loads(checked.stdout)["budgets"]
    assert budget["message"] == GROWTH_MESSAGE

    def diff(*args):
        return subprocess.run([sys.executable, "-m", "layerscope", "diff", small, archive,
                               "--fail-on-growth", *args], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)

    text = diff("100%")
    assert text.returncode == 1
    assert f"FAIL  --fail-on-growth  {GROWTH_MESSAGE}" in text.stdout.splitlines()
    assert text.stderr == f"layerscope: --fail-on-growth failed: {GROWTH_MESSAGE}\n"
    document = json.loads(diff("100%", "--format", "json", "--quiet").stdout)
    assert {key: document["growth_check"][key] for key in budget if key != "source"} == {
        key: budget[key] for key in budget if key != "source"}
    assert document["growth_check"]["source"] == "--fail-on-growth"
    passed = diff("1kB")  # 1,000 bytes of growth: equal to the limit passes
    assert (passed.returncode, passed.stderr) == (0, "")
    assert ("PASS  --fail-on-growth  growth against app:0 (600 B) +1.0 kB is within the 1.0 kB "
            "limit") in passed.stdout.splitlines()
    refused = diff("10")
    assert refused.returncode == 2
    assert refused.stderr.startswith("layerscope: error: argument --fail-on-growth: '10': a bare "
                                     'number could be bytes or a percent; write "10%"')
