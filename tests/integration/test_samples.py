"""layerscope against the sample images on a real Docker engine (built by `make samples`).

Docker's own figures come from the engine through the docker SDK; layerscope's from
`python -m layerscope inspect TAG --format json` (schema layerscope/inspect/v1). The expected
waste of each zoo image is the one stated in the comment at the top of its Dockerfile
(sample_images/<name>/Dockerfile); the story's expectations come from issue 3.

Step indexes are positions in the image config history (oldest first). The zoo images sit on
layerscope/busybox:base, whose history is [0] COPY busybox, [1] RUN --install, [2] CMD, so their
own steps start at 3; the story images sit on the imported layerscope/debian:bookworm ([0]) and
declare ARG REPO_URL ([1]), so their own steps start at 2.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from dataclasses import dataclass

import pytest

docker = pytest.importorskip("docker")

pytestmark = pytest.mark.engine

KINDS = {"removed", "overwritten", "metadata-only", "replaced-by-link"}
MISSING_HINT = "run `make samples` (it builds every sample image)"


@dataclass(frozen=True)
class Dead:
    """One dead version layerscope must report."""

    path: str
    kind: str
    written_by: int
    killed_by: int
    size: int | None = None  # None: any size (the story's sizes depend on Debian's packages)
    # Substrings the instructions of the writing and killing steps must contain.
    written_cmd: tuple[str, ...] = ()
    killed_cmd: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------- the zoo

def _deep() -> list[Dead]:
    t, u = "/srv/deep/l1/l2/l3/l4/l5", "/srv/deep/l1/l2/m3/m4"
    w3, w4 = ("mkdir -p /srv/deep/l1/l2/l3/l4/l5/$g",), ("mkdir -p /srv/deep/l1/l2/m3/m4/$g",)
    k5, k6 = ("rm -rf /srv/deep/l1/l2/l3/l4/l5/b",), ("rm /srv/deep/l1/l2/l3/l4/l5/c/f1.dat",)
    dead = [Dead(f"{t}/b/f{i}.dat", "removed", 3, 5, 512, w3, k5) for i in range(1, 26)]
    dead += [Dead(f"{t}/c/f{i}.dat", "removed", 3, 6, 512, w3, k6) for i in [1, *range(10, 20)]]
    dead += [Dead(f"{u}/e/f{i}.dat", "removed", 4, 6, 1024, w4, k6) for i in range(1, 26)]
    return dead


REQS = "/tmp/my_requirements"
COPY_REQS = ("COPY", f"in {REQS}")
RM_REQS = (f"rm -rf {REQS}",)
WRITE_MODEL = ("head -c 1048576 /dev/urandom > /opt/data/model.bin",)
CHMOD, CHOWN = ("chmod 600 /opt/data/model.bin",), ("chown 1000:1000 /opt/data/model.bin",)
BUNDLE = "/srv/app/bundle.js"
OPAQUE_FILL, OPAQUE_RECREATE = ("mkdir -p /data/old",), ("rm -rf /data && mkdir /data",)
CACHES_FILL, CACHES_RM = ("mkdir -p /var/cache/apk",), ("rm -rf /tmp/build",)
LINKS_FILL = ("ln /opt/links/data.bin /opt/links/keep.bin",)

# tag -> exactly the dead versions of size > 0, plus any zero-size ones that must be reported.
# Dead versions of size 0 that are not listed (directories) may or may not be reported.
ZOO: dict[str, list[Dead]] = {
    "size:latest": [
        Dead(f"{REQS}/requirements.txt", "removed", 3, 5, None, COPY_REQS, RM_REQS),
        Dead(f"{REQS}/wheels/acme_core-2.4.1-py3-none-any.whl", "removed", 3, 5, 120000,
             COPY_REQS, RM_REQS),
        Dead(f"{REQS}/wheels/acme_http-1.9.0-py3-none-any.whl", "removed", 3, 5, 90000,
             COPY_REQS, RM_REQS),
        Dead(f"{REQS}/wheels/acme_utils-0.7.3-py3-none-any.whl", "removed", 3, 5, 60000,
             COPY_REQS, RM_REQS),
    ],
    "chmod:latest": [
        Dead("/opt/data/model.bin", "metadata-only", 3, 4, 1048576, WRITE_MODEL, CHMOD),
        Dead("/opt/data/model.bin", "metadata-only", 4, 5, 1048576, CHMOD, CHOWN),
    ],
    "overwrite:latest": [
        Dead(BUNDLE, "overwritten", 3, 4, 100000, ("head -c 100000",), ("head -c 150000",)),
        Dead(BUNDLE, "overwritten", 4, 5, 150000, ("head -c 150000",), ("head -c 200000",)),
        Dead(BUNDLE, "overwritten", 5, 6, 200000, ("head -c 200000",), ("head -c 50000",)),
    ],
    "opaque:latest": [
        Dead("/data/old/a.bin", "removed", 3, 4, 200000, OPAQUE_FILL, OPAQUE_RECREATE),
        Dead("/data/b.bin", "removed", 3, 4, 100000, OPAQUE_FILL, OPAQUE_RECREATE),
    ],
    "caches:latest": [
        Dead("/tmp/build/main.o", "removed", 3, 4, 120000, CACHES_FILL, CACHES_RM),
        Dead("/tmp/build/util.o", "removed", 3, 4, 80000, CACHES_FILL, CACHES_RM),
    ],
    "multistage:latest": [],
    "links:latest": [
        # The member holding the content dies, its hard link keep.bin (same layer) survives:
        # the 400000 bytes stay visible, so this dead version weighs 0.
        Dead("/opt/links/data.bin", "removed", 3, 4, 0, LINKS_FILL, ("rm /opt/links/data.bin",)),
        # overlayfs copies shared.bin up to hard-link it: same content again in step 5.
        Dead("/opt/links/shared.bin", "metadata-only", 3, 5, 100000, LINKS_FILL,
             ("ln /opt/links/shared.bin /opt/links/shared.bin.link",)),
        Dead("/etc/app/app.conf", "replaced-by-link", 3, 6, 50000, LINKS_FILL,
             ("ln -sf /opt/links/keep.bin /etc/app/app.conf",)),
    ],
    "deep:latest": _deep(),
}
ZOO_BASE_STEPS = {0, 1, 2}  # layerscope/busybox:base

# ----------------------------------------------------------------------------------- the story

STORY = ["size:v1", "size:v2", "size:v3", "size:v4"]
UPDATE = ("apt-get update",)
INSTALL = ("apt-get install -y curl python3-pip",)
REMOVE = ("apt-get remove -y python3-pip curl",)
RM_LISTS = ("rm -rf /var/lib/apt/lists/*",)
ONE_RUN = ("apt-get update", "apt-get install", "pip install", "apt-get remove", "rm -rf")

# tag -> dead versions that must be among those reported (the story's are not exhaustive).
STORY_DEAD: dict[str, list[Dead]] = {
    "size:v1": [
        Dead("/etc/apt/sources.list", "overwritten", 0, 2, None, (), UPDATE),
        Dead("/var/lib/dpkg/status", "overwritten", 0, 3, None, (), INSTALL),
    ],
    "size:v2": [
        Dead("/etc/apt/sources.list", "overwritten", 0, 2, None, (), UPDATE),
        Dead("/usr/bin/curl", "removed", 3, 5, None, INSTALL, REMOVE),
        Dead("/usr/bin/pip3", "removed", 3, 5, None, INSTALL, REMOVE),
        Dead("/var/lib/dpkg/status", "overwritten", 3, 5, None, INSTALL, REMOVE),
    ],
    "size:v3": [Dead("/etc/apt/sources.list", "overwritten", 0, 2, None, (), ONE_RUN)],
    "size:v4": [Dead("/etc/apt/sources.list", "overwritten", 0, 2, None, (), ONE_RUN)],
}

ALL_TAGS = [*ZOO, *STORY]


# ------------------------------------------------------------------------------------- helpers



@functools.cache
def inspect(tag: str) -> dict:
    """layerscope's JSON report for TAG (each image analysed once per session)."""
    cmd = [sys.executable, "-m", "layerscope", "inspect", tag, "--format", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}"
    report = json.loads(proc.stdout)
    assert report["schema"] == "layerscope/inspect/v1"
    return report


def docker_image(client, tag: str) -> dict:
    try:
        return client.api.inspect_image(tag)
    except docker.errors.ImageNotFound:
        pytest.fail(f"image {tag} not found; {MISSING_HINT}")


def step(report: dict, index: int) -> dict:
    found = report["steps"][index]
    assert found["index"] == index
    return found


def matching(report: dict, want: Dead) -> list[dict]:
    return [w for w in report["wasted"]
            if (w["path"], w["written_by_step"], w["killed_by_step"])
            == (want.path, want.written_by, want.killed_by)]


def assert_dead(report: dict, want: Dead) -> None:
    found = matching(report, want)
    assert len(found) == 1, f"{want.path} written by {want.written_by}, killed by " \
        f"{want.killed_by}: expected one dead version, got {found}"
    assert found[0]["kind"] == want.kind, (want.path, found[0])
    if want.size is not None:
        assert found[0]["size"] == want.size, (want.path, found[0])
    for cmd in want.written_cmd:
        assert cmd in step(report, want.written_by)["instruction"]
    for cmd in want.killed_cmd:
        assert cmd in step(report, want.killed_by)["instruction"]


# ------------------------------------------------------------------- every sample: exact figures

@pytest.mark.parametrize("tag", ALL_TAGS)
def test_image_size_equals_docker(client, tag):
    want = docker_image(client, tag)
    report = inspect(tag)
    assert report["image"]["size"] == want["Size"]
    assert report["image"]["id"] == want["Id"]
    assert report["image"]["layer_count"] == len(want["RootFS"]["Layers"])


@pytest.mark.parametrize("tag", ALL_TAGS)
def test_step_sizes_equal_docker_history(client, tag):
    docker_image(client, tag)
    history = list(reversed(client.api.history(tag)))  # the API lists the newest first
    steps = inspect(tag)["steps"]
    assert [s["index"] for s in steps] == list(range(len(history)))
    layers = [s["layer"] for s in steps if not s["empty_layer"]]
    assert layers == list(range(len(layers)))
    for s, h in zip(steps, history, strict=True):
        if s["empty_layer"]:
            assert s["layer"] is None and s["size"] == 0 and h["Size"] == 0, s
        else:
            assert s["size"] == h["Size"], (s["index"], s["instruction"], h["CreatedBy"])


@pytest.mark.parametrize("tag", ALL_TAGS)
def test_accounting_invariants(tag):
    report = inspect(tag)
    image, steps, wasted = report["image"], report["steps"], report["wasted"]
    assert image["size"] == image["visible_bytes"] + image["wasted_bytes"]
    assert image["wasted_bytes"] == sum(w["size"] for w in wasted)
    assert image["size"] == sum(s["size"] for s in steps)
    assert image["visible_bytes"] == sum(s["live_bytes"] for s in steps)
    assert image["wasted_bytes"] == sum(s["dead_bytes"] for s in steps)
    assert image["wasted_bytes"] == sum(s["deleted_lower_bytes"] for s in steps)
    for s in steps:
        assert s["live_bytes"] + s["dead_bytes"] == s["size"], s
        assert s["dead_bytes"] == sum(
            w["size"] for w in wasted if w["written_by_step"] == s["index"])
        assert s["deleted_lower_bytes"] == sum(
            w["size"] for w in wasted if w["killed_by_step"] == s["index"])
    non_empty = {s["index"] for s in steps if not s["empty_layer"]}
    for w in wasted:
        assert w["path"].startswith("/") and not w["path"].startswith("//"), w
        assert w["kind"] in KINDS, w
        assert w["written_by_step"] < w["killed_by_step"], w
        assert {w["written_by_step"], w["killed_by_step"]} <= non_empty, w
        assert w["size"] >= 0, w
    base_size = sum(s["size"] for s in steps if s["base"])
    assert image["user_size"] == image["size"] - base_size
    assert 0 < image["efficiency"] <= 1


# ------------------------------------------------------------------------------------- the zoo

@pytest.mark.parametrize("tag", list(ZOO))
def test_zoo_waste_is_exactly_the_documented_one(tag):
    report = inspect(tag)
    expected = ZOO[tag]
    for want in expected:
        assert_dead(report, want)
    expected_keys = {(d.path, d.written_by, d.killed_by) for d in expected}
    extra = [w for w in report["wasted"]
             if w["size"] > 0 and (w["path"], w["written_by_step"], w["killed_by_step"])
             not in expected_keys]
    assert extra == [], f"dead versions the Dockerfile comment does not document: {extra}"
    sizes = [d.size for d in expected]
    if None not in sizes:
        assert report["image"]["wasted_bytes"] == sum(sizes)


@pytest.mark.parametrize("tag", list(ZOO))
def test_zoo_base_is_the_busybox_base(client, tag):
    report = inspect(tag)
    assert {s["index"] for s in report["steps"] if s["base"]} == ZOO_BASE_STEPS
    base = docker_image(client, "layerscope/busybox:base")
    assert report["image"]["user_size"] == report["image"]["size"] - base["Size"]


def test_size_sample_wastes_the_whole_requirements_directory():
    report = inspect("size:latest")
    copied = step(report, 3)
    assert copied["size"] > 200_000
    assert copied["dead_bytes"] == copied["size"]  # everything the COPY wrote is dead
    assert step(report, 5)["deleted_lower_bytes"] == copied["size"]


def test_multistage_final_image_has_nothing_of_the_builder(client):
    report = inspect("multistage:latest")
    assert report["wasted"] == [] and report["image"]["wasted_bytes"] == 0
    base = docker_image(client, "layerscope/busybox:base")
    hello = b"#!/bin/sh\necho hello from the final stage\n"
    assert report["image"]["size"] == base["Size"] + len(hello)
    assert not any("toolchain" in s["instruction"] for s in report["steps"])


# ----------------------------------------------------------------------------------- the story

def test_story_sizes_tell_the_story(client):
    size = {tag: docker_image(client, tag)["Size"] for tag in STORY}
    assert size["size:v2"] > size["size:v1"], "a clean-up layer cannot shrink the image"
    assert size["size:v3"] < size["size:v1"], "folding the clean-up into the RUN helps a little"
    assert size["size:v4"] < 0.5 * size["size:v3"], "--no-install-recommends helps a lot"
    for tag in STORY:
        assert inspect(tag)["image"]["size"] == size[tag]


@pytest.mark.parametrize("tag", STORY)
def test_story_documented_dead_versions(tag):
    report = inspect(tag)
    for want in STORY_DEAD[tag]:
        assert_dead(report, want)


def test_v2_apt_lists_written_by_update_are_killed_by_rm():
    report = inspect("size:v2")
    assert all(c in step(report, 2)["instruction"] for c in UPDATE)
    assert all(c in step(report, 6)["instruction"] for c in RM_LISTS)
    lists = [w for w in report["wasted"]
             if w["path"].startswith("/var/lib/apt/lists/") and w["written_by_step"] == 2]
    assert lists, "the apt lists that `apt-get update` wrote must be reported dead"
    assert all(w["killed_by_step"] == 6 and w["kind"] == "removed" for w in lists), lists
    index_files = [w for w in lists if w["path"].endswith("_Packages")]
    assert index_files and all(w["size"] > 0 for w in index_files), lists


def test_v2_cleanup_steps_add_bytes_and_kill_the_install_steps_bytes():
    report = inspect("size:v2")
    install, remove, rm_lists = step(report, 3), step(report, 5), step(report, 6)
    assert remove["size"] > 0, "apt-get remove writes a new dpkg database: the image grows"
    assert remove["deleted_lower_bytes"] > 1_000_000
    assert rm_lists["deleted_lower_bytes"] > 0
    assert install["dead_bytes"] > 1_000_000
    assert report["image"]["wasted_bytes"] > inspect("size:v1")["image"]["wasted_bytes"]


def test_v3_sees_the_same_files_as_v2():
    v2, v3 = inspect("size:v2")["image"], inspect("size:v3")["image"]
    assert v3["visible_bytes"] == pytest.approx(v2["visible_bytes"], rel=1e-3)
    assert v3["wasted_bytes"] < v2["wasted_bytes"]


@pytest.mark.parametrize("tag", ["size:v3", "size:v4"])
def test_one_run_leaves_only_rewritten_base_files(tag):
    report = inspect(tag)
    assert all((w["written_by_step"], w["killed_by_step"]) == (0, 2) for w in report["wasted"])
    assert report["image"]["wasted_bytes"] < 0.01 * report["image"]["size"]
