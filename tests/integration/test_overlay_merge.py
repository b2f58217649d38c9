"""The merge against the engine's own overlay2: load a crafted image, export a container of it,
and hold the merged final tree to what the container's filesystem holds."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from layerscope.analysis.image_report import analyze
from layerscope.analysis.merge import ROOT_OPAQUE
from layerscope.analysis.tree import live_entries
from layerscope.model import EntryKind
from tests.analysis.conftest import build_image
from tests.imagebuilder import (
    ImageSpec,
    Step,
    directory,
    file,
    opaque,
    symlink,
    whiteout,
    write_docker_archive,
)
from tests.integration.conftest import run_layerscope

pytestmark = pytest.mark.engine

RUNTIME = {".dockerenv", "dev", "proc", "sys", "etc"}
"""What the engine adds to every container (/etc holds its hostname, hosts, mtab and
resolv.conf); the images here write nothing there."""

LOWER = Step("RUN mkdir /real && ln -s real /link",
             (directory("real"), file("real/old", b"o" * 10), symlink("link", "real")))

KINDS = {tarfile.REGTYPE: EntryKind.FILE, tarfile.SYMTYPE: EntryKind.SYMLINK,
         tarfile.DIRTYPE: EntryKind.DIRECTORY}


def container_tree(client, spec: ImageSpec, tmp_path) -> dict[str, EntryKind]:
    """Path -> kind of everything a container of the image shows, as `docker export` has it."""
    archive = write_docker_archive(spec, tmp_path / "image.tar")
    client.images.load(archive.read_bytes())
    container = client.containers.create(spec.repo_tag, "/none")
    try:
        exported = b"".join(container.export())
    finally:
        container.remove()
        client.images.remove(spec.repo_tag, force=True)
    tree = {}
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        for member in tar.getmembers():
            name = member.name.rstrip("/")
            if name.split("/")[0] in RUNTIME:
                continue
            tree["/" + name] = KINDS[member.type]
    return tree


def merged_tree(spec: ImageSpec) -> tuple[dict[str, EntryKind], object]:
    analysis = analyze(build_image(*[(s.created_by, list(s.entries)) for s in spec.steps]))
    return {e.path: EntryKind(e.kind) for e in live_entries(analysis.merged.final_tree)}, analysis


@pytest.mark.parametrize("upper", [
    (file("link/new", b"n" * 20),),
    (file("link/sub/deep", b"d" * 7),),
    (whiteout("link/ghost"),),
    (opaque("link"),),
], ids=["file", "file-two-deep", "whiteout", "opaque-marker"])
def test_entry_below_a_lower_symlink_as_overlay2_applies_it(client, tmp_path, upper):
    spec = ImageSpec((LOWER, Step("RUN crafted", upper)), repo_tag="layerscope-probe:symlinked")
    engine = container_tree(client, spec, tmp_path)
    assert engine["/link"] == EntryKind.DIRECTORY  # the engine: a directory, never the symlink
    merged, analysis = merged_tree(spec)
    # the merge lists no version for a directory only implied by its members: compare the rest
    assert merged == {path: kind for path, kind in engine.items()
                      if kind != EntryKind.DIRECTORY or path == "/real"}
    assert [(w.path, w.size, w.kind) for w in analysis.report.wasted] == [("/link", 4, "overwritten")]


def test_opaque_marker_at_the_root_is_ignored_by_overlay2_and_the_report_says_so(client, tmp_path):
    spec = ImageSpec((Step("RUN a", (file("old", b"o" * 5),)), Step("RUN b", (file("mid", b"m" * 3),)),
                      Step("RUN crafted", (opaque(""), file("new", b"n" * 7)))),
                     repo_tag="layerscope-probe:root-opaque")
    engine = container_tree(client, spec, tmp_path)
    # overlay2 sets the opaque xattr on the layer root, where the kernel does not look
    assert engine == {"/old": EntryKind.FILE, "/mid": EntryKind.FILE, "/new": EntryKind.FILE}
    # layerscope follows the OCI spec (only /new is visible) and warns that engines differ
    merged, analysis = merged_tree(spec)
    assert merged == {"/new": EntryKind.FILE}
    assert [(w.kind, w.layer) for w in analysis.report.warnings] == [(ROOT_OPAQUE, 2)]
    result = run_layerscope("inspect", str(write_docker_archive(spec, tmp_path / "again.tar")),
                            "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["image"]["visible_bytes"], document["image"]["wasted_bytes"]) == (7, 8)
    assert [w["kind"] for w in document["warnings"]] == [ROOT_OPAQUE]
