"""An archive read for one image and no cache skips its large files, and hashes exactly those
the analysis compares: the report is the one a full read gives."""

import json
import subprocess
import sys

from layerscope.analysis.image_report import analyze
from layerscope.layers.cache import CacheStore
from layerscope.layers.limits import ReadOptions
from layerscope.model import EntryKind
from layerscope.sources.reference import open_source
from tests.imagebuilder import ImageSpec, Step, file, hardlink, write_docker_archive

BIG = 2 << 20  # over the deferring reader's 1 MiB reads, so never read by chance

SPEC = ImageSpec((
    Step("COPY . /", (file("/same", b"s" * BIG), file("/other", b"o" * BIG),
                      file("/alone", b"a" * BIG), file("/small", b"x" * 10))),
    Step("RUN chmod +x /same && make other", (file("/same", b"s" * BIG, mode=0o755),
                                              file("/other", b"O" * BIG))),
))


def read(path, hash_every_file: bool):
    return open_source(str(path)).read(None, CacheStore(persistent=False),
                                       ReadOptions(hash_every_file=hash_every_file))


def test_the_report_equals_a_full_read_and_only_rewritten_paths_are_hashed(tmp_path):
    archive = write_docker_archive(SPEC, tmp_path / "image.tar")
    skipping, full = read(archive, hash_every_file=False), read(archive, hash_every_file=True)
    assert analyze(skipping).report == analyze(full).report
    kinds = {w.path: w.kind for w in analyze(skipping).report.wasted}
    assert kinds == {"/same": "metadata-only", "/other": "overwritten"}
    hashed = {e.path: e.content_hash is not None
              for layer in skipping.layers for e in layer.files if e.kind == EntryKind.FILE}
    assert hashed == {"/same": True, "/other": True, "/alone": False, "/small": True}


def test_a_diff_without_cache_still_compares_every_file(tmp_path):
    changed = ImageSpec((SPEC.steps[0], Step("RUN touch", (file("/alone", b"A" * BIG),))))
    same = ImageSpec((SPEC.steps[0], Step("RUN touch", (file("/alone", b"a" * BIG, mode=0o600),))))
    base = write_docker_archive(ImageSpec((SPEC.steps[0],)), tmp_path / "a.tar")
    for spec, expected in ((changed, "changed"), (same, "metadata-only")):
        other = write_docker_archive(spec, tmp_path / "b.tar")
        result = subprocess.run([sys.executable, "-m", "layerscope", "diff", str(base), str(other),
                                 "--no-cache", "--format", "json"], capture_output=True, timeout=120)
        assert result.returncode == 0, result.stderr
        files = {f["path"]: f["change"] for f in json.loads(result.stdout)["files"]}
        assert files == {"/alone": expected}


def test_a_hard_link_over_a_skipped_file_is_told_by_its_bytes_as_a_full_read_tells_it(tmp_path):
    """/a, 2 MiB, is skipped unread; a later step writes /b, as big, and hard-links /a to it.
    Other bytes under the link: replaced-by-link (docs/accounting.md: "replaced by a hard link
    to other content"); the same bytes: metadata-only (the overlayfs copy-up). Without both
    hashes, two missing ones passed for the same bytes and the first was metadata-only too."""
    lower = Step("COPY a /a", (file("/a", b"a" * BIG),))
    for content, kind in ((b"b" * BIG, "replaced-by-link"), (b"a" * BIG, "metadata-only")):
        spec = ImageSpec((lower, Step("RUN make b && ln -f b a",
                                      (file("/b", content), hardlink("/a", "/b")))))
        archive = write_docker_archive(spec, tmp_path / "image.tar")
        skipping, full = read(archive, False), read(archive, True)
        assert analyze(skipping).report == analyze(full).report
        wasted = analyze(skipping).report.wasted
        assert [(w.path, w.kind, w.size) for w in wasted] == [("/a", kind, BIG)]
