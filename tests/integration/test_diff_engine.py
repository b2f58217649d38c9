"""diff against the real engine with the story images (built by `make samples`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.integration.conftest import run_layerscope as layerscope

pytestmark = pytest.mark.engine




@pytest.fixture(scope="module")
def v1_v4(client):
    result = layerscope("diff", "size:v1", "size:v4", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_delta_is_the_difference_of_dockers_sizes(client, v1_v4):
    size_v1 = client.api.inspect_image("size:v1")["Size"]
    size_v4 = client.api.inspect_image("size:v4")["Size"]
    assert v1_v4["summary"]["size_a"] == size_v1
    assert v1_v4["summary"]["size_b"] == size_v4
    assert v1_v4["summary"]["size_delta"] == size_v4 - size_v1


def test_the_shared_base_layer_and_the_divergence(client, v1_v4):
    base_layers = client.api.inspect_image("layerscope/debian:bookworm")["RootFS"]["Layers"]
    assert v1_v4["shared_layers"] == len(base_layers) == 1
    install = [s for s in v1_v4["steps"] if s["instruction_a"] and "apt-get install" in s["instruction_a"]]
    assert install and install[0]["size_a"] > 400_000_000


def test_the_big_removed_package_files_are_listed(v1_v4):
    removed = [f for f in v1_v4["files"] if f["change"] == "removed"]
    assert sum(f["size_a"] for f in removed) > 300_000_000
    assert removed[0]["size_a"] > 10_000_000  # largest first
    assert any(f["path"].startswith("/usr/lib/gcc/") for f in removed)


def test_an_image_against_itself_is_no_change_even_with_exit_code():
    result = layerscope("diff", "size:v2", "docker-daemon:size:v2", "--exit-code")
    assert result.returncode == 0, result.stderr
    assert "the images have the same layers" in result.stdout


def test_different_images_exit_1_with_exit_code_and_growth_limit():
    assert layerscope("diff", "size:v4", "size:v1", "--exit-code").returncode == 1
    assert layerscope("diff", "size:v4", "size:v1", "--fail-on-growth", "10%").returncode == 1
    assert layerscope("diff", "size:v1", "size:v4", "--fail-on-growth", "10%").returncode == 0


def test_the_growth_verdict_is_check_max_growths(client):
    """v1 -> v2 grows by v2's apt-get remove layer; the same limit judged by check and by diff."""
    size_v1 = client.api.inspect_image("size:v1")["Size"]
    size_v2 = client.api.inspect_image("size:v2")["Size"]
    result = layerscope("diff", "size:v1", "size:v2", "--fail-on-growth", "0.1%", "--format",
                        "json")
    assert result.returncode == 1
    verdict = json.loads(result.stdout)["growth_check"]
    assert (verdict["status"], verdict["unit"], verdict["limit"]) == ("fail", "percent", 0.1)
    assert verdict["measured"] == round(100 * (size_v2 - size_v1) / size_v1, 4)
    assert result.stderr == f"layerscope: --fail-on-growth failed: {verdict['message']}\n"
    checked = subprocess.run([sys.executable, "-m", "layerscope", "check", "size:v2",
                              "--baseline", "size:v1", "--max-growth", "0.1%", "--format",
                              "json"], capture_output=True, text=True, timeout=600)
    assert json.loads(checked.stdout)["budgets"][0]["message"] == verdict["message"]


def test_engine_against_archive(client, tmp_path):
    archive = tmp_path / "v4.tar"
    with open(archive, "wb") as handle:
        for chunk in client.api.get_image("size:v4"):
            handle.write(chunk)
    result = layerscope("diff", "size:v4", str(archive), "--format", "json", "--exit-code")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["identical"] is True


def test_a_missing_side_is_named():
    result = layerscope("diff", "size:v1", "layerscope-test/absent:1")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "layerscope: error: IMAGE_B (layerscope-test/absent:1): image layerscope-test/absent:1 is not in")
    result = layerscope("diff", "/nonexistent/a.tar", "size:v1")
    assert result.returncode == 2
    assert result.stderr.startswith("layerscope: error: IMAGE_A (/nonexistent/a.tar): no such archive")


def _layer_sizes(client, image):
    """docker history's SIZE per history entry (a step), oldest first."""
    return [row["Size"] for row in reversed(client.api.history(image))]


def test_the_edited_install_step_is_measured_against_its_counterpart(client):
    """v3 -> v4 adds --no-install-recommends to the one RUN after the ARG: the steps pair by
    their likeness (not as 'only in B'), and the delta is docker history's v4 size of that
    step minus v3's; the waste the two RUNs leave alike is collapsed, and the rows left add up
    to the change of the wasted bytes."""
    result = layerscope("diff", "size:v3", "size:v4", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    sizes_a, sizes_b = _layer_sizes(client, "size:v3"), _layer_sizes(client, "size:v4")
    edited = document["steps"][0]
    assert (edited["step_a"], edited["step_b"], edited["pairing"]) == (2, 2, "edited")
    assert "--no-install-recommends" in edited["instruction_b"]
    assert (edited["size_a"], edited["size_b"]) == (sizes_a[2], sizes_b[2])
    assert edited["size_delta"] == sizes_b[2] - sizes_a[2]
    assert all(step["pairing"] == "same" for step in document["steps"][1:])
    assert document["waste_unchanged"]["paths"] > 0
    assert sum(w["size_delta"] for w in document["waste"]) == document["summary"]["wasted_delta"]
    assert len({w["path"] for w in document["waste"]}) == len(document["waste"])


def test_diff_path_and_check_forbid_paths_match_the_same_files():
    """busybox has nothing under /usr, so every file of v1 that '/usr/**/*.so.*' matches is
    'added' in the diff; check counts the same files. '/usr/*.so.*' matches nothing in both
    (no shared object sits right under /usr)."""
    glob = "/usr/**/*.so.*"
    checked = layerscope("check", "size:v1", "--forbid-paths", glob, "--format", "json")
    budget = json.loads(checked.stdout)["budgets"][0]
    files = int(budget["message"].split(f"{glob} matches ")[1].split(" file")[0])
    diffed = json.loads(layerscope("diff", "layerscope/busybox:base", "size:v1", "--path", glob,
                                   "--format", "json").stdout)
    assert [f["change"] for f in diffed["files"]] == ["added"] * files
    assert sum(f["size_b"] for f in diffed["files"]) == budget["measured"]
    shallow = "/usr/*.so.*"
    assert json.loads(layerscope("check", "size:v1", "--forbid-paths", shallow, "--format",
                                 "json").stdout)["budgets"][0]["status"] == "pass"
    result = layerscope("diff", "layerscope/busybox:base", "size:v1", "--path", shallow)
    assert result.returncode == 0
    assert f"Files: --path {shallow} matches no path in either image" in result.stdout


def test_a_mistyped_engine_image_lists_the_tags_the_engine_has(client):
    """size:v5 and sise:v1 are not there; the hint names the size repository's tags, as the
    engine lists them."""
    tags = sorted(tag for image in client.images.list(name="size") for tag in image.tags
                  if tag.startswith("size:"))
    for missing in ("size:v5", "sise:v1"):
        result = layerscope("diff", "size:v1", missing)
        assert result.returncode == 2
        hint = result.stderr.splitlines()[1]
        listed = hint.removeprefix("hint: the engine has ").split(";")[0]
        assert listed.split(", ") == tags[:6], hint
    # a name without a tag means :latest, which layerscope/busybox does not have: its tags
    busybox = sorted(tag for image in client.images.list(name="layerscope/busybox")
                     for tag in image.tags)
    hint = layerscope("inspect", "layerscope/busybox").stderr.splitlines()[1]
    assert hint.startswith(f"hint: the engine has {', '.join(busybox)}; "), hint
