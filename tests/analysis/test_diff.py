"""diff on synthesized pairs: shared base, diverging steps, file changes, waste compared."""

from __future__ import annotations

from layerscope.analysis.diff import diff_images, group_by_depth
from layerscope.analysis.image_report import analyze
from tests.analysis.conftest import build_image
from tests.imagebuilder import directory, file, whiteout

BASE = ("", [directory("bin"), file("bin/sh", b"s" * 100)])
CMD = ('/bin/sh -c #(nop)  CMD ["sh"]', None)


def pair(steps_a, steps_b, path_glob=None):
    return diff_images(analyze(build_image(BASE, CMD, *steps_a)),
                       analyze(build_image(BASE, CMD, *steps_b)), path_glob)


def test_identical_images_have_no_changes():
    steps = [("RUN a", [file("a", b"1" * 10)])]
    report = pair(steps, steps)
    assert report.identical
    assert (report.shared_layers, report.shared_steps, report.size_delta) == (2, 3, 0)
    assert report.steps == () and report.files == () and report.waste == ()


def test_shared_prefix_divergence_and_step_alignment():
    report = pair(
        [("RUN apt-get update", [file("lists", b"l" * 50)]),
         ("RUN apt-get install big", [file("usr/big", b"b" * 1000)]),
         ("COPY app /app", [file("app", b"a" * 7)])],
        [("RUN apt-get update", [file("lists", b"l" * 50)]),
         ("RUN apt-get install --no-install-recommends big", [file("usr/big", b"b" * 400)]),
         ("COPY app /app", [file("app", b"a" * 7)])],
    )
    assert (report.shared_layers, report.shared_steps) == (2, 3)
    assert [(p.step_a, p.step_b, p.size_a, p.size_b, p.delta) for p in report.steps] == [
        (3, 3, 1000, 400, -600), (4, 4, 7, 7, 0)]
    assert report.steps[0].instruction_b == "RUN apt-get install --no-install-recommends big"
    assert report.size_delta == -600 and not report.identical


def test_steps_only_on_one_side_are_paired_with_nothing():
    report = pair([("RUN a", [file("a", b"1")])],
                  [("RUN a", [file("a", b"1")]), ("RUN rm -rf /a", [whiteout("a")])])
    assert [(p.step_a, p.step_b) for p in report.steps] == [(None, 3)]
    assert report.steps[0].instruction_a is None


def test_file_changes_by_kind_largest_first():
    report = pair(
        [("RUN a", [file("keep", b"k" * 5), file("gone", b"g" * 300), file("edit", b"e" * 20),
                    file("perm", b"p" * 9, mode=0o644)])],
        [("RUN a", [file("keep", b"k" * 5), file("new", b"n" * 1000), file("edit", b"E" * 25),
                    file("perm", b"p" * 9, mode=0o755)])],
    )
    assert [(f.path, f.change, f.size_a, f.size_b, f.delta) for f in report.files] == [
        ("/new", "added", 0, 1000, 1000),
        ("/gone", "removed", 300, 0, -300),
        ("/edit", "changed", 20, 25, 5),
        ("/perm", "metadata-only", 9, 9, 0),
    ]
    filtered = pair([("RUN a", [file("x/a", b"1")])], [("RUN a", [file("y/a", b"1")])], "/x/*")
    assert [f.path for f in filtered.files] == ["/x/a"]


def test_waste_that_appears_and_disappears():
    report = pair(
        [("RUN fetch && build && rm", [file("out", b"o" * 3)])],
        [("RUN fetch", [file("tmp/src.tgz", b"t" * 500)]), ("RUN build", [file("out", b"o" * 3)]),
         ("RUN rm /tmp/src.tgz", [whiteout("tmp/src.tgz")])],
    )
    assert [(w.path, w.side, w.size, w.written_by, w.killed_by) for w in report.waste] == [
        ("/tmp/src.tgz", "appeared", 500, "RUN fetch", "RUN rm /tmp/src.tgz")]
    assert report.b.wasted_bytes - report.a.wasted_bytes == 500


def test_group_by_depth_sums_under_directories():
    report = pair([("RUN a", [file("usr/lib/a", b"1" * 10), file("usr/lib/b", b"2" * 5)])],
                  [("RUN a", [file("etc/c", b"3")])])
    groups = group_by_depth(report.files, 1)
    assert [(g.path, g.file_count, g.size_a, g.size_b, g.delta) for g in groups] == [
        ("/usr", 2, 15, 0, -15), ("/etc", 1, 0, 1, 1)]
