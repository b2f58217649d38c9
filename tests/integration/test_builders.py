"""Every builder Debian offers, every form its tools write, one report (issue 18).

Images are built here from local material only (Debian's static busybox, as
scripts/build-samples.sh does): with podman (layered, --squash), a buildah from/run/copy/commit
script, podman import, umoci insert/repack, and Docker's legacy builder. podman and buildah keep
their images in a store of this test's own (`--root`, overlay driver: it mounts here as root),
read directly as containers-storage:[overlay@ROOT]NAME. Each image is exported in the forms its
tools write: `podman save` as docker-archive, oci-archive, oci-dir and docker-dir (dir:), skopeo
copies to oci: with zstd layers and to dir: with gzip layers, buildah push to oci-archive.
(BuildKit, the engine's own, is in test_builders_buildkit.py.)

Every form must give the same JSON report but for the fields that name the source (`image.ref`,
`image.repo_tags`, each layer's `compressed_size` and `media_type`). The figures are derived independently:

- each layer's size counted from podman's docker-archive with Python's tarfile (a regular
  file its size, a symlink its target's length, all else 0), and the same image loaded into
  the Docker engine (`docker load`) must show that size in `docker image inspect` and each
  step's in `docker history`;
- the wasted bytes by hand from the Containerfile below: /blob (1000 bytes of zeros) written
  by one RUN and removed by the next, and the base's /bin/vi, a symlink to "/bin/busybox"
  (12 bytes), removed by the same RUN: 1012 bytes.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from tests.inprocess import run_main

pytestmark = pytest.mark.engine

PREFIX = "localhost/s23t-builders"
"""Names of this test's images (in its own podman store and, loaded, in the shared engine)."""
BASE_FILE = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["sh"]
"""
CHILD_FILE = f"""FROM {PREFIX}-base:1
RUN head -c 1000 /dev/zero > /blob && echo hello > /greeting
RUN rm /blob /bin/vi
COPY note.txt /app/note.txt
ENV X=1
"""
WASTED = 1000 + len("/bin/busybox")


def run(*command: str, cwd: Path | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=cwd)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr[-2000:]}"
    return done.stdout


class Store:
    """podman, buildah and skopeo on this test's own containers-storage root."""

    def __init__(self, root: Path) -> None:
        # podman refuses a run root longer than 50 characters: a short one of its own
        self.root, self.runroot = root / "root", Path(tempfile.mkdtemp(prefix="s23t-run-"))
        self.flags = ("--root", str(self.root), "--runroot", str(self.runroot),
                      "--storage-driver", "overlay")
        self.spec = f"[overlay@{self.root}+{self.runroot}]"

    def podman(self, *args: str, cwd: Path | None = None) -> str:
        return run("podman", *self.flags, *args, cwd=cwd)

    def buildah(self, *args: str, cwd: Path | None = None) -> str:
        return run("buildah", *self.flags, *args, cwd=cwd)

    def close(self) -> None:
        """Unmount what the store keeps mounted (containers-storage bind-mounts its overlay
        directory privately, as root), so the directory can be removed."""
        with open("/proc/self/mounts") as mounts:
            mounted = [line.split()[1] for line in mounts if str(self.root) in line]
        for point in sorted(mounted, reverse=True):  # a bind of the directory to itself
            subprocess.run(["umount", point], capture_output=True, timeout=60)
        shutil.rmtree(self.runroot, ignore_errors=True)

    def skopeo_copy(self, name: str, destination: str, *args: str) -> None:
        run("skopeo", "copy", "-q", *args, f"containers-storage:{self.spec}{name}", destination)


def tar_layer_sizes(archive: Path) -> list[int]:
    """Each layer's size counted from a docker-archive by tarfile, independently of layerscope."""
    sizes = []
    with tarfile.open(archive) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        for name in manifest[0]["Layers"]:
            data = outer.extractfile(name).read()
            # umoci 0.4's insert ends its layer after the last file's bytes, without padding or
            # end-of-archive blocks; Go's reader (so docker load and podman) accepts that, and
            # tarfile does once they are added
            data += bytes(-len(data) % 512 + 1024)
            with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                sizes.append(sum(m.size if m.isreg() else len(m.linkname) if m.issym() else 0
                                 for m in layer))
    return sizes


def build_with_podman_and_buildah(store: Store, context: Path, root: Path) -> None:
    """The base and child with podman (layered and --squash), a buildah script, podman import."""
    store.podman("build", "-q", "-t", f"{PREFIX}-base:1", "-f", "Containerfile", ".", cwd=context)
    store.podman("build", "-q", "-t", f"{PREFIX}-child:1", "-f", "Child", ".", cwd=context)
    store.podman("build", "-q", "--squash", "-t", f"{PREFIX}-squash:1", "-f", "Child", ".",
                 cwd=context)
    container = store.buildah("from", "-q", f"{PREFIX}-base:1").strip()
    store.buildah("copy", "-q", container, "note.txt", "/app/note.txt", cwd=context)
    store.buildah("run", container, "--", "/bin/busybox", "rm", "/bin/vi")
    store.buildah("commit", "-q", container, f"{PREFIX}-script:1")
    store.buildah("rm", container)
    run("tar", "-C", str(context), "-cf", str(root / "rootfs.tar"), "busybox", "note.txt")
    store.podman("import", "-q", str(root / "rootfs.tar"), f"{PREFIX}-imported:1")


def export_every_form(store: Store, root: Path) -> dict[str, dict[str, str]]:
    """Each store image as containers-storage and docker-archive; the child in every form."""
    forms: dict[str, dict[str, str]] = {}
    for short in ("child", "squash", "script", "imported"):
        name = f"{PREFIX}-{short}:1"
        out = root / short
        found = forms[short] = {"containers-storage": f"containers-storage:{store.spec}{name}"}
        store.podman("save", "-q", "-o", f"{out}.tar", name)
        found["docker-archive"] = str(out) + ".tar"
    name, out = f"{PREFIX}-child:1", root / "child"
    found = forms["child"]
    store.podman("save", "-q", "--format", "oci-archive", "-o", f"{out}-oci.tar", name)
    found["oci-archive"] = f"oci-archive:{out}-oci.tar:{name}"
    store.podman("save", "-q", "--format", "oci-dir", "-o", f"{out}-ocidir", name)
    found["oci-dir"] = f"oci:{out}-ocidir:{name}"
    store.podman("save", "-q", "--format", "docker-dir", "-o", f"{out}-dockerdir", name)
    found["dir (podman)"] = f"dir:{out}-dockerdir"
    store.skopeo_copy(name, f"oci:{root}/shared:{name}", "--dest-compress-format", "zstd")
    found["oci zstd (skopeo)"] = f"oci:{root}/shared:{name}"
    store.skopeo_copy(name, f"dir:{out}-gzipdir", "--dest-compress")
    found["dir gzip (skopeo)"] = f"dir:{out}-gzipdir"
    store.buildah("push", "-q", name, f"oci-archive:{out}-buildah.tar:{name}")
    found["oci-archive (buildah)"] = f"oci-archive:{out}-buildah.tar:{name}"
    store.skopeo_copy(f"{PREFIX}-base:1", f"oci:{root}/shared:{PREFIX}-base:1")
    return forms


def build_with_umoci(store: Store, context: Path, root: Path) -> dict[str, str]:
    """umoci insert on the base, then an unpack with the inserted file removed and a repack."""
    umoci = root / "umoci"
    store.skopeo_copy(f"{PREFIX}-base:1", f"oci:{umoci}:base")
    (context / "inserted").write_text("inserted by umoci\n")
    run("umoci", "insert", "--image", f"{umoci}:base", str(context / "inserted"), "/inserted")
    run("umoci", "unpack", "--image", f"{umoci}:base", str(root / "bundle"))
    os.remove(root / "bundle" / "rootfs" / "inserted")
    run("umoci", "repack", "--image", f"{umoci}:repacked", str(root / "bundle"))
    run("skopeo", "copy", "-q", f"oci:{umoci}:repacked",
        f"docker-archive:{root}/umoci.tar:{PREFIX}-umoci:1")
    return {"oci": f"oci:{umoci}:repacked", "docker-archive": f"{root}/umoci.tar"}


def build_with_docker(context: Path, root: Path) -> dict[str, str]:
    """The child on the engine's own busybox base, by Docker's legacy builder."""
    engine_tag = "s23t-builders/legacy:1"
    (context / "Legacy").write_text(CHILD_FILE.replace(f"{PREFIX}-base:1",
                                                       "layerscope/busybox:base"))
    run("docker", "build", "-q", "-t", engine_tag, "-f", str(context / "Legacy"), str(context))
    run("docker", "save", "-o", f"{root}/legacy.tar", engine_tag)
    return {"engine": engine_tag, "docker-archive": f"{root}/legacy.tar"}


@pytest.fixture(scope="module")
def built(client, tmp_path_factory):
    """name -> {form: reference} of every image and export, plus the engine-loaded names."""
    if not all(shutil.which(tool) for tool in ("podman", "buildah", "skopeo", "umoci")):
        pytest.fail("podman, buildah, skopeo and umoci are needed: run scripts/builders.sh and "
                    "scripts/registry.sh (make test does)")
    root = tmp_path_factory.mktemp("builders")
    store = Store(root / "store")
    context = root / "context"
    context.mkdir()
    shutil.copy("/bin/busybox", context / "busybox")
    (context / "note.txt").write_text("a note\n")
    (context / "Containerfile").write_text(BASE_FILE)
    (context / "Child").write_text(CHILD_FILE)
    try:
        build_with_podman_and_buildah(store, context, root)
        forms = export_every_form(store, root)
        forms["umoci"] = build_with_umoci(store, context, root)
        forms["legacy"] = build_with_docker(context, root)
        for short in ("child", "squash", "script", "imported", "umoci"):
            run("docker", "load", "-q", "-i", forms[short]["docker-archive"])
            forms[short]["engine"] = f"{PREFIX}-{short}:1"
        yield {"forms": forms, "root": root, "store": store}
    finally:
        for short in ("child", "squash", "script", "imported", "umoci"):
            subprocess.run(["docker", "rmi", "-f", f"{PREFIX}-{short}:1"], capture_output=True)
        subprocess.run(["docker", "rmi", "-f", "s23t-builders/legacy:1"], capture_output=True)
        store.close()
        shutil.rmtree(root, ignore_errors=True)


def report(reference: str) -> dict:
    code, out = run_main("inspect", reference, "--format", "json", "--no-cache")
    assert code == 0, reference
    return json.loads(out)


def comparable(document: dict) -> dict:
    document = json.loads(json.dumps(document))
    del document["image"]["ref"], document["image"]["repo_tags"]  # a dir: layout has no names
    for layer in document["layers"]:
        del layer["compressed_size"], layer["media_type"]
    return document


@pytest.mark.parametrize("image", ["child", "squash", "script", "imported", "umoci", "legacy"])
def test_every_form_gives_the_figures_counted_independently(image, built, client):
    forms = built["forms"][image]
    reports = {form: report(reference) for form, reference in forms.items()}
    first = comparable(reports["docker-archive"])
    for form, document in reports.items():
        assert comparable(document) == first, f"{form} differs from the docker-archive"
    counted = tar_layer_sizes(Path(forms["docker-archive"]))
    document = reports["docker-archive"]
    assert [layer["size"] for layer in document["layers"]] == counted
    assert document["image"]["size"] == sum(counted)
    engine = client.images.get(forms["engine"])
    assert document["image"]["size"] == engine.attrs["Size"]
    history = [step["Size"] for step in reversed(engine.history())]
    shown = [step["size"] if step["layer"] is not None else 0 for step in document["steps"]]
    assert shown == history
    assert (document["image"]["visible_bytes"] + document["image"]["wasted_bytes"]
            == document["image"]["size"])
    if image in ("child", "squash", "legacy"):
        # squashed, /blob never reaches a layer: only the base's /bin/vi dies
        assert document["image"]["wasted_bytes"] == (12 if image == "squash" else WASTED)


@pytest.mark.parametrize(("image", "base_layers", "base_steps"),
                         [("child", 2, 3), ("squash", 2, 3), ("script", 2, 3), ("legacy", 2, 3),
                          ("umoci", 2, 3), ("imported", 0, 0)])
def test_the_base_image_is_found_for_every_builder(image, base_layers, base_steps, built):
    document = report(built["forms"][image]["docker-archive"])
    base = document["base"]
    assert (base["layer_count"], base["step_count"]) == (base_layers, base_steps), base["detail"]
    texts = [step["instruction"] for step in document["steps"]]
    assert not any(text.startswith("RUN umoci") or text == "RUN /bin/sh" for text in texts)
    if image == "imported":
        assert texts == ["(imported) imported from tarball"]


def test_a_shared_layout_lists_its_images_and_a_ref_with_colons_selects_one(built, capsys):
    shared = built["root"] / "shared"
    code, _ = run_main("inspect", f"oci:{shared}", "--format", "json")
    error = capsys.readouterr().err
    assert code == 2 and "Traceback" not in error
    assert f"{PREFIX}-base:1" in error and f"{PREFIX}-child:1" in error
    assert f"oci:{shared}:{PREFIX}-" in error
    chosen = report(f"oci:{shared}:{PREFIX}-base:1")
    assert chosen["image"]["layer_count"] == 2


def test_an_oci_archive_of_several_images_lists_them_and_a_ref_selects_one(built, capsys):
    # an oci-archive is a tarred layout: the shared layout skopeo wrote the base and child into
    archive = built["root"] / "shared-oci.tar"
    run("tar", "-C", str(built["root"] / "shared"), "-cf", str(archive), ".")
    for reference in (f"oci-archive:{archive}", str(archive)):
        code, _ = run_main("inspect", reference, "--format", "json")
        error = capsys.readouterr().err
        assert code == 2 and "Traceback" not in error and len(error.splitlines()) <= 2, error
        assert f"holds 2 images: {PREFIX}-base:1, {PREFIX}-child:1" in error
        assert f"oci-archive:{archive}:{PREFIX}-" in error
    chosen = comparable(report(f"oci-archive:{archive}:{PREFIX}-child:1"))
    assert chosen == comparable(report(built["forms"]["child"]["docker-archive"]))


def test_containers_storage_errors_are_one_line(built, capsys):
    spec = built["forms"]["child"]["containers-storage"].split("]")[0] + "]"
    code, _ = run_main("inspect", f"{spec}{PREFIX}-missing:1")
    error = capsys.readouterr().err
    assert code == 2 and "Traceback" not in error
    assert f"no image {PREFIX}-missing:1" in error and f"{PREFIX}-child:1" in error
    code, _ = run_main("inspect", f"containers-storage:[overlay@{built['root']}/nowhere]x")
    assert code == 2 and "no containers storage" in capsys.readouterr().err


def test_a_repeat_run_on_an_unchanged_store_is_replayed_until_podman_changes_it(built):
    # containers/storage rewrites images.json (renamed into place) on every tag, pull or
    # removal: replay (layerscope.replay) keys on it, layers.json and the image's config
    from tests.test_replay import aged
    from tests.test_replay import run as probe

    reference = built["forms"]["child"]["containers-storage"]
    root = built["root"] / "store" / "root"
    aged(root / "overlay-images")  # older than a run must see them to trust them
    aged(root / "overlay-layers" / "layers.json")
    first, how = probe("inspect", reference)
    assert how == "read" and b"RUN rm /blob /bin/vi" in first
    assert probe("inspect", reference) == (first, "replayed")
    store = built["store"]
    store.podman("tag", f"{PREFIX}-child:1", f"{PREFIX}-child:2")
    try:
        aged(root / "overlay-images")
        assert probe("inspect", reference)[1] == "read"
    finally:
        store.podman("untag", f"{PREFIX}-child:1", f"{PREFIX}-child:2")


def test_the_default_store_is_storage_confs_and_names_are_podmans(built, tmp_path, monkeypatch):
    # containers-storage:NAME without a store spec reads the graph root storage.conf names (as
    # podman does); the test points CONTAINERS_STORAGE_CONF at its own store, not the machine's
    root = built["root"] / "store" / "root"
    conf = tmp_path / "storage.conf"
    conf.write_text(f'[storage]\ndriver = "overlay"\ngraphroot = "{root}"\n')
    monkeypatch.setenv("CONTAINERS_STORAGE_CONF", str(conf))
    expected = comparable(report(built["forms"]["child"]["docker-archive"]))
    short = PREFIX.removeprefix("localhost/") + "-child:1"
    image_id = expected["image"]["id"].removeprefix("sha256:")
    for name in (short, f"{PREFIX}-child:1", image_id[:12], f"sha256:{image_id}"):
        assert comparable(report(f"containers-storage:{name}")) == expected, name


def test_a_layer_cut_inside_a_file_is_one_line_naming_layer_and_offset(built, tmp_path, capsys):
    # umoci's insert layer ends right after its file's bytes; cut two bytes before that end
    saved = Path(built["forms"]["umoci"]["docker-archive"])
    with tarfile.open(saved) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        short = manifest[0]["Layers"][2]
        members = [(m, outer.extractfile(m).read() if m.isfile() else None) for m in outer]
    cut = tmp_path / "cut.tar"
    with tarfile.open(cut, "w") as written:
        for member, data in members:
            if member.name == short:
                assert len(data) == 512 + len("inserted by umoci\n")  # no padding, no end blocks
                data = data[:-2]
                member.size = len(data)
            written.addfile(member, io.BytesIO(data) if data is not None else None)
    code, _ = run_main("inspect", str(cut), "--no-cache")
    error = capsys.readouterr().err
    assert code == 2 and "Traceback" not in error
    first = error.splitlines()[0]
    assert first.startswith("layerscope: error: layer 2 ") and short in first
    # the layer stops at byte 512 + 18 - 2, inside the member's content
    assert f"truncated in a member's content at byte {512 + 18 - 2}" in first, first


def test_a_vfs_store_and_verify_rebuild_each_tar_from_its_tar_split(built, tmp_path):
    # the vfs driver keeps each layer's whole tree, so its layers are rebuilt from the
    # tar-split as `podman save` rebuilds them; --verify rebuilds overlay layers too, to check
    # each rebuilt tar's sha256 against the config's diff ID
    store = Store(tmp_path / "vfs")
    store.flags = (*store.flags[:-1], "vfs")
    context = tmp_path / "context"
    context.mkdir()
    shutil.copy("/bin/busybox", context / "busybox")
    (context / "note.txt").write_text("a note\n")
    (context / "Containerfile").write_text(BASE_FILE)
    (context / "Child").write_text(CHILD_FILE)
    try:
        store.podman("build", "-q", "-t", f"{PREFIX}-base:1", "-f", "Containerfile", ".",
                     cwd=context)
        store.podman("build", "-q", "-t", f"{PREFIX}-child:1", "-f", "Child", ".", cwd=context)
        store.podman("save", "-q", "-o", str(tmp_path / "vfs.tar"), f"{PREFIX}-child:1")
        expected = comparable(report(str(tmp_path / "vfs.tar")))
        assert expected["image"]["size"] == sum(tar_layer_sizes(tmp_path / "vfs.tar"))
        assert expected["image"]["wasted_bytes"] == WASTED
        for reference in (f"containers-storage:[vfs@{store.root}]{PREFIX}-child:1",
                          f"containers-storage:[{store.root}]{PREFIX}-child:1"):  # found: vfs
            assert comparable(report(reference)) == expected, reference
    finally:
        store.close()
    overlay = built["forms"]["child"]["containers-storage"]
    code, out = run_main("inspect", overlay, "--format", "json", "--no-cache", "--verify")
    assert code == 0
    assert comparable(json.loads(out)) == comparable(report(overlay))
