"""`layerscope check` on the story images in a real engine (built by `make samples`).

size:v1 (~617 MB) puts curl, python3-pip and all their Recommends in step [3] (apt-get install);
size:v2 adds clean-up layers, so the files they delete are wasted: /var/lib/apt/lists/* written
by [2] and removed by [6], pip's files written by [3] and removed by [5] (apt-get remove)."""

from __future__ import annotations

import json
import subprocess
import sys

import docker
import pytest

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module", autouse=True)
def samples(client):
    try:
        for tag in ("size:v1", "size:v2"):
            client.images.get(tag)
    except docker.errors.ImageNotFound as error:
        pytest.fail(f"{error}; run `make samples` (it builds every sample image)")


def check(*args, tmp_path):
    return subprocess.run([sys.executable, "-m", "layerscope", "check", *args],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)


def test_v1_over_300mb_fails_and_names_the_install_step(tmp_path):
    result = check("size:v1", "--max-size", "300MB", "--format", "json", tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    (budget,) = json.loads(result.stdout)["budgets"]
    assert (budget["name"], budget["status"], budget["limit"]) == ("max-size", "fail", 300_000_000)
    top = budget["contributors"][0]
    assert top["kind"] == "step" and top["step"] == 3
    assert "apt-get install" in top["label"]
    assert top["bytes"] > budget["measured"] / 2


def test_v1_under_1gb_passes(tmp_path):
    result = check("size:v1", "--max-size", "1GB", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "PASS  max-size" in result.stdout


def test_v2_wasted_fails_naming_the_clean_up_steps_victims(tmp_path):
    result = check("size:v2", "--max-wasted", "5MB", "--top", "10", tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "FAIL  max-wasted" in result.stdout
    contributors = result.stdout.split("FAIL  max-wasted", 1)[1]
    assert "/usr/lib/python3/dist-packages/pip/" in contributors
    assert "/var/lib/apt/lists/" in contributors
    assert "step 3: RUN apt-get install" in contributors


def test_a_waste_group_has_one_count_in_inspect_and_check(tmp_path):
    """pip's files removed by step 5: the group check lists is the row inspect shows, count and
    bytes alike (check used to leave out the empty files: 972 against 985). --no-trunc: inspect
    cuts paths to the terminal's width, in the middle."""
    result = check("size:v2", "--max-wasted", "5MB", "--top", "20", tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    checked = [line.split("  ")[-1].split(" (removed")[0] for line in result.stdout.splitlines()
               if "/usr/lib/python3/dist-packages/pip/ (" in line]
    # --no-trunc: inspect's text cuts a long path in the middle to fit the width
    inspect = subprocess.run([sys.executable, "-m", "layerscope", "inspect", "size:v2", "--top",
                              "50", "--no-trunc"], capture_output=True, text=True, timeout=600)
    shown = [line for line in inspect.stdout.splitlines()
             if "/usr/lib/python3/dist-packages/pip/ (" in line]
    assert len(checked) == len(shown) == 1
    assert checked[0] in shown[0]


def test_every_failing_glob_lists_its_own_paths(tmp_path):
    result = check("size:v1", "--forbid-paths", "/usr/share/doc/*", "--forbid-paths", "*.pem",
                   "--top", "1", "--format", "json", tmp_path=tmp_path)
    (budget,) = json.loads(result.stdout)["budgets"]
    assert [c["detail"].split(",")[0] for c in budget["contributors"]] == [
        "matches /usr/share/doc/*", "matches *.pem"]
