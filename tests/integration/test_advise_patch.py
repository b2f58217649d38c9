"""advise --patch on the real engine: each sample of sample_images/advise/ is built, its patch
applied with `patch -p0` and the patched Dockerfile built; it must build, leave the same final
filesystem (paths, content digests, modes, owners) apart from the waste it removes, and save
what the patch says within 2%. Builds reuse the engine's cache within and across runs; each
sample is built, advised and patched once per session (the `cases` fixture)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from layerscope.model import EntryKind

pytestmark = pytest.mark.engine
ROOT = Path(__file__).parent.parent.parent
SAMPLES = ROOT / "sample_images" / "advise"
REPO = ROOT / ".cache" / "samples" / "repo"
APT_CASES = ("apt-lists", "recommends")
"""The samples built on the Debian base against the story's local apt repository."""
BUILDKIT_CASES = {"wheels": "RUN --mount", "tarball": "RUN --mount", "copy-chmod": "COPY --chmod="}
"""The samples whose patch uses a BuildKit-only feature (the patched Dockerfile says so in a
comment line): built with Debian's docker CLI 20.10 and DOCKER_BUILDKIT=1, its BuildKit built in
(the CLI 28 on PATH needs the buildx plugin, which the apt sources do not have)."""
DEBIAN_CLI = "/usr/bin/docker"
RUNTIME_POINTS = {"/dev", "/etc", "/proc", "/sys"}
"""Where BuildKit's RUN mounts the container's runtime (devices, proc, sys, resolv.conf and
hosts): when the base has no such directory (layerscope/busybox:base has none: it is made from
busybox alone), BuildKit's RUN layer keeps it, empty; the legacy builder's does not. Every
distribution's base has them."""


def layerscope(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "layerscope", "advise", *args], capture_output=True,
                            text=True, timeout=600, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


def build(client, context: Path, tag: str, **options) -> str:
    client.images.build(path=str(context), tag=tag, rm=True, forcerm=True, **options)
    return tag


def build_with_buildkit(context: Path, tag: str) -> str:
    if not os.access(DEBIAN_CLI, os.X_OK):
        pytest.fail(f"no {DEBIAN_CLI}: install Debian's docker.io (scripts/engine.sh does)")
    subprocess.run([DEBIAN_CLI, "build", "--progress=plain", "-t", tag, str(context)], check=True,
                   capture_output=True, env={**os.environ, "DOCKER_BUILDKIT": "1"}, timeout=600)
    return tag


def filesystem(image: str) -> dict[str, tuple]:
    """Path -> (kind, mode, uid, gid, content digest or link target) of the image's final
    filesystem, from layerscope's index of the engine's layers (every file hashed, xxh3-64):
    a fraction of a second where `docker export` of a Debian image takes two."""
    from layerscope.analysis.image_report import analyze
    from layerscope.analysis.tree import live_versions
    from layerscope.commands.reading import ReadingOptions, read_image, reading_for

    options = ReadingOptions(no_progress=True)
    cache, reading = reading_for(options, compared=True)
    tree = analyze(read_image(image, options, None, cache, reading)).merged.final_tree
    entries = {}
    for version in live_versions(tree):
        entry = version.entry
        if entry.kind == EntryKind.FILE:
            assert entry.content_hash is not None, entry.path
        # permission and set-id bits: Docker's tar writer adds the file-type bits to the mode,
        # an imported base's writer may not, so a directory copied up differs only there
        entries[entry.path] = (EntryKind(entry.kind), entry.mode & 0o7777, entry.uid, entry.gid,
                               entry.content_hash if entry.kind == EntryKind.FILE
                               else entry.link_target)
    return entries


@pytest.fixture(scope="session")
def repo_server():
    """The story's local apt repository over HTTP (as scripts/build-samples.sh serves it)."""
    if not (REPO / "apt" / ".complete").exists():
        pytest.fail(f"no local apt repository at {REPO}; run `make samples`")
    handler = partial(SimpleHTTPRequestHandler, directory=str(REPO))
    try:  # one port from run to run: REPO_URL is a build argument, part of the build cache key
        server = ThreadingHTTPServer(("127.0.0.1", 18765), handler)
    except OSError:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *args: None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@dataclass(frozen=True)
class Case:
    """One sample, built as written and as patched."""

    original: str
    """The original build's tag."""
    patched: str
    """The patched build's tag."""
    document: dict
    """`advise --patch --format json` on the original."""
    work: Path
    """The sample's copy the patch was applied to."""
    before: dict
    """The original's final filesystem (filesystem())."""
    after: dict
    """The patched build's final filesystem."""
    real: int
    """The original's size minus the patched build's, as Docker counts them."""


def patched_case(client, work: Path, case: str, build_args=None, ignore=()) -> Case:
    """Build the sample, advise with --patch, apply the patch with `patch -p0`, build again."""
    shutil.copytree(SAMPLES / case, work, dirs_exist_ok=True)
    options = {"buildargs": build_args, "network_mode": "host"} if build_args else {}
    original = build(client, work, f"advise-{case}:orig", **options)
    extra = ["--ignore", ",".join(ignore)] if ignore else []
    document = json.loads(layerscope(original, "--dockerfile", "Dockerfile", "--patch",
                                     "--format", "json", *extra, cwd=work).stdout)
    diff = document["patch"]["diff"]
    if diff:
        subprocess.run(["patch", "-p0"], input=diff, text=True, cwd=work, check=True,
                       capture_output=True)
    if case in BUILDKIT_CASES:
        rule = "LS003" if "chmod" in BUILDKIT_CASES[case] else "LS002"
        note = f"# layerscope {rule}: {BUILDKIT_CASES[case]}"
        assert note in diff and "needs BuildKit" in diff
        patched = build_with_buildkit(work, f"advise-{case}:patched")
    else:
        patched = build(client, work, f"advise-{case}:patched", **options)
    return Case(original, patched, document, work, filesystem(original), filesystem(patched),
                size(client, original) - size(client, patched))


@pytest.fixture(scope="session")
def cases(client, tmp_path_factory, request):
    """case name -> its Case, built on first use and shared by every test of the session (the
    Debian samples start the apt repository server)."""
    built: dict[str, Case] = {}

    def get(case: str) -> Case:
        if case not in built:
            args, ignore = None, ()
            if case in APT_CASES:
                server = request.getfixturevalue("repo_server")
                args = {"BASE_IMAGE": "layerscope/debian:bookworm", "REPO_URL": server}
                ignore = ("LS007",)
            built[case] = patched_case(client, tmp_path_factory.mktemp(case), case, args, ignore)
        return built[case]
    return get


def size(client, image: str) -> int:
    return client.images.get(image).attrs["Size"]


# case -> (rules fixed, paths the fix removes from the final filesystem, mount points: the empty
# directories BuildKit before v0.11 (this engine's 20.10 ships v0.8) leaves where a RUN --mount
# was mounted; moby/buildkit#3307 removes them)
CASES = {
    "between": ({"LS001"}, set(), set()),
    "venv-chmod": ({"LS003"}, set(), set()),
    "chown": ({"LS003"}, set(), set()),
    "multistage": ({"LS001"}, set(), set()),
    "wheels": ({"LS002"}, set(), {"/tmp/wheels"} | RUNTIME_POINTS),
    "copy-chmod": ({"LS003"}, set(), set()),
    "tarball": ({"LS002"}, set(), RUNTIME_POINTS),
}


def saves_what_it_says(case: Case) -> None:
    stated = case.document["patch"]["estimated_saving_bytes"]
    assert case.real > 0 and abs(case.real - stated) <= 0.02 * stated, (case.real, stated)


@pytest.mark.parametrize("name", sorted(CASES))
def test_patched_sample_builds_same_filesystem_and_saves_what_it_says(cases, name):
    rules, removed, mount_points = CASES[name]
    case = cases(name)
    assert {f["rule"] for f in case.document["patch"]["fixed"]} == rules
    assert case.document["patch"]["unfixed"] == []
    after = dict(case.after)
    for point in mount_points - (RUNTIME_POINTS & set(case.before)):
        assert point not in case.before and after.pop(point)[0] == EntryKind.DIRECTORY
        assert not [p for p in after if p.startswith(point + "/")]
    assert {p: e for p, e in case.before.items() if p not in removed} == after
    saves_what_it_says(case)


def test_between_fold_moves_env_workdir_copy_below(cases):
    case = cases("between")
    [fixed] = case.document["patch"]["fixed"]
    # by hand: objects.bin (400000) + result.txt ("ok\n", 3) written by step 3, removed by 7
    assert (fixed["steps"], fixed["estimated_saving_bytes"]) == ([3, 7], 400003)
    assert fixed["locations"] == ["Dockerfile:9", "Dockerfile:15"]
    text = (case.work / "Dockerfile").read_text()
    assert "rm -rf /opt/build\nENV APP_HOME=/app\nWORKDIR /app\nCOPY app.txt /app/app.txt\n" \
        in text
    assert "mkdir -p /app && cd /app && cp /opt/build/result.txt result.txt" in text


def test_copied_then_deleted_files_are_mounted_into_the_run_that_deletes_them(cases):
    case = cases("wheels")
    [fixed] = case.document["patch"]["fixed"]
    # by hand: the one wheel, 150,000 bytes, copied by step 3 and deleted by step 4
    assert (fixed["steps"], fixed["estimated_saving_bytes"]) == ([3, 4], 150_000)
    text = (case.work / "Dockerfile").read_text()
    instructions = [line for line in text.splitlines() if not line.startswith("#")]
    assert instructions[1:] == [  # after FROM: the COPY is gone, the rm too
        "RUN --mount=type=bind,source=wheels,target=/tmp/wheels mkdir -p /opt/site && "
        "cp /tmp/wheels/*.whl /opt/site/"]
    assert ("RUN --mount=type=bind,source=wheels,target=/tmp/wheels mkdir -p /opt/site && "
            "cp /tmp/wheels/*.whl /opt/site/\n") in text


def test_an_archive_unpacked_by_one_run_and_deleted_by_a_later_one(cases):
    case = cases("tarball")
    [fixed] = case.document["patch"]["fixed"]
    # by hand, the archive's size: two members, each a 512-byte header and its data padded to
    # 512 (60,000 -> 60,416; 20,000 -> 20,480), two 512-byte end blocks: 82,944, padded to
    # nine 10,240-byte records = 92,160
    assert (fixed["steps"], fixed["estimated_saving_bytes"]) == ([3, 6], 92_160)
    instructions = [line for line in (case.work / "Dockerfile").read_text().splitlines()
                    if not line.startswith("#")]
    assert instructions[1:] == [
        "RUN --mount=type=bind,source=app.tar,target=/tmp/app.tar mkdir -p /opt/app && "
        "tar -xf /tmp/app.tar -C /opt/app", "ENV APP_HOME=/opt/app"]


def test_the_patched_buildkit_image_matches_its_patched_dockerfile(cases):
    """BuildKit records a RUN --mount without its flags and a COPY --chmod= as COPY: advise
    aligns the patched Dockerfile with the image built from it, and finds nothing left to fix."""
    for name in BUILDKIT_CASES:
        case = cases(name)
        document = json.loads(layerscope(case.patched, "--dockerfile", "Dockerfile", "--format",
                                         "json", cwd=case.work).stdout)
        assert not [f for f in document["findings"] if f["rule"] in ("LS002", "LS003")]


def test_apt_lists_removed_after_the_install_in_one_run(cases):
    """The story's v1 bug: the lists must go after the install that needs them (same RUN)."""
    case = cases("apt-lists")
    assert {f["rule"] for f in case.document["patch"]["fixed"]} == {"LS004"}
    lists = {p for p in case.before if p.startswith("/var/lib/apt/lists/")}
    assert len(lists) > 2 and not lists & set(case.after)

    def same(entries):
        # apt's and dpkg's logs and ldconfig's aux-cache record the build's times and inodes:
        # any two builds of the same Dockerfile differ there
        return {p: e for p, e in entries.items() if p not in lists
                and not p.startswith("/var/log/") and p != "/var/cache/ldconfig/aux-cache"}
    assert same(case.before) == same(case.after)
    saves_what_it_says(case)
    run = (case.work / "Dockerfile").read_text()
    assert run.index("apt-get install") < run.index("rm -rf /var/lib/apt/lists/*")


def test_check_patch_reports_the_real_saving(client, cases, tmp_path):
    case = cases("venv-chmod")
    shutil.copytree(SAMPLES / "venv-chmod", tmp_path, dirs_exist_ok=True)  # unpatched
    checked = json.loads(layerscope(case.original, "--dockerfile", "Dockerfile", "--check-patch",
                                    "--format", "json", cwd=tmp_path).stdout)["patch"]["check"]
    assert checked["original_size"] == size(client, case.original)
    assert checked["real_saving_bytes"] == case.real
    assert checked["builder"].startswith("the legacy builder")


def test_check_patch_builds_a_mount_with_buildkit(client, cases, tmp_path):
    case = cases("wheels")
    shutil.copytree(SAMPLES / "wheels", tmp_path, dirs_exist_ok=True)  # unpatched
    result = layerscope(case.original, "--dockerfile", "Dockerfile", "--check-patch", cwd=tmp_path)
    line = next(line for line in result.stdout.splitlines() if line.startswith("Patch check"))
    assert "with BuildKit (DOCKER_BUILDKIT=1 /usr/bin/docker build; the patch uses RUN --mount)" \
        in line
    assert f"({case.real:,} bytes)" in line


def test_recommends_only_packages_are_all_the_patch_removes(client, cases):
    case = cases("recommends")
    [fixed] = case.document["patch"]["fixed"]
    [finding] = [f for f in case.document["findings"] if f["rule"] == "LS006"]
    assert fixed["rule"] == "LS006" and "ca-certificates" in finding["packages"]
    # the packages' own files, from the original image's dpkg file lists
    owned: set[str] = set()
    container = client.containers.create(case.original, command=["true"])
    try:
        bits, _ = container.get_archive("/var/lib/dpkg/info")
        with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as archive:
            for member in archive:
                name = member.name.rsplit("/", 1)[-1]
                if name.endswith(".list") and name[:-5].split(":")[0] in finding["packages"]:
                    listed = archive.extractfile(member).read().decode()
                    owned |= {line for line in listed.splitlines() if line and line != "/."}
    finally:
        container.remove()

    def same(entries):
        # what dpkg, debconf, apt and ldconfig record about the installs (and their logs), and
        # what ca-certificates' postinst generates (the links, its .conf, the local directory),
        # differ with the packages
        return {p: e for p, e in entries.items() if p not in owned and not p.startswith((
            "/var/lib/dpkg/", "/var/cache/debconf/", "/var/log/", "/etc/ssl/certs/",
            "/var/lib/apt/extended_states", "/var/cache/ldconfig/", "/etc/ca-certificates.conf",
            "/usr/local/share/ca-certificates"))}
    assert same(case.before) == same(case.after)
    files = {p for p in owned if p in case.before and case.before[p][0] != EntryKind.DIRECTORY}
    assert len(files) > 100 and not files & set(case.after)
    # the estimate counts the packages' listed files, their dpkg control files, the files
    # ca-certificates' postinst generates, their dpkg/debconf records and debconf's backups
    # (docs/rules/LS006.md): the rebuild's real saving is within the 2% of it
    saves_what_it_says(case)
