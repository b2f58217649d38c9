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


def test_file_changes_ranked_by_the_bytes_a_pull_downloads():
    report = pair(
        [("RUN a", [file("keep", b"k" * 5), file("gone", b"g" * 300), file("edit", b"e" * 20),
                    file("perm", b"p" * 9, mode=0o644)])],
        [("RUN a", [file("keep", b"k" * 5), file("new", b"n" * 1000), file("edit", b"E" * 25),
                    file("perm", b"p" * 9, mode=0o755)])],
    )
    # B's new content first (1000, 25, 9 bytes: the chmod'ed /perm is downloaded again), then
    # what B no longer has, by A's bytes
    assert [(f.path, f.change, f.size_a, f.size_b, f.delta) for f in report.files] == [
        ("/new", "added", 0, 1000, 1000),
        ("/edit", "changed", 20, 25, 5),
        ("/perm", "metadata-only", 9, 9, 0),
        ("/gone", "removed", 300, 0, -300),
    ]
    filtered = pair([("RUN a", [file("x/a", b"1")])], [("RUN a", [file("y/a", b"1")])], "/x/*")
    assert [f.path for f in filtered.files] == ["/x/a"]
    assert (filtered.path_glob, filtered.path_matches) == ("/x/*", 1)


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


def test_steps_paired_by_text_and_by_paths_written_not_by_position():
    """A refactoring drops the COPY of the sources: position would pair A's COPY dir with B's
    venv step and A's venv with B's COPY app.py. By likeness: A's COPY dir (step 2) has no
    counterpart, the venv steps pair (same text; 200 -> 260 bytes under /venv/lib, +60), and
    the COPY app.py steps pair (texts differ by one '/'; 10 -> 12 bytes, +2)."""
    report = pair(
        [("COPY dir:aaa in /src ", [file("src/x", b"x" * 100), file("src/y", b"y" * 50)]),
         ("RUN python3 -m venv /venv", [file("venv/bin/python", b"p" * 300),
                                        file("venv/lib/a", b"a" * 200)]),
         ("COPY app.py /app", [file("app/app.py", b"1" * 10)])],
        [("RUN python3 -m venv /venv", [file("venv/bin/python", b"p" * 300),
                                        file("venv/lib/a", b"A" * 260)]),
         ("COPY app.py /app/", [file("app/app.py", b"2" * 12)])],
    )
    assert [(p.step_a, p.step_b, p.size_a, p.size_b, p.delta, p.pairing) for p in report.steps] \
        == [(2, None, 150, 0, -150, "only-a"), (3, 2, 500, 560, 60, "same"),
            (4, 3, 10, 12, 2, "edited")]


def test_steps_with_unlike_text_pair_by_the_paths_they_wrote():
    """'RUN ./build.sh' and 'RUN make -C /src all' share little text, but both wrote /out/a
    and /out/b and B also /out/c: 2 shared of 3 paths, 0.67 >= 0.5, so they are counterparts
    and the delta is 30 -> 45 bytes, +15."""
    report = pair(
        [("RUN ./build.sh", [file("out/a", b"a" * 10), file("out/b", b"b" * 20)])],
        [("RUN make -C /src all", [file("out/a", b"A" * 10), file("out/b", b"B" * 20),
                                   file("out/c", b"c" * 15)])])
    assert [(p.step_a, p.step_b, p.delta, p.pairing) for p in report.steps] == [
        (2, 2, 15, "edited")]


def test_waste_the_same_on_both_sides_is_collapsed_and_counted():
    """The edited install step wrote the same 100-byte list L1 in both images and a 50-byte
    (A) or 70-byte (B) list L2; the unchanged rm step removed both. L1's waste is the same (same
    path, bytes, counterpart writer and killer): left out, counted (1 path, 100 bytes). L2's is
    one 'changed' row, 50 -> 70, and B wastes 20 bytes more in all."""
    install = "RUN apt-get update && apt-get install -y{} big"
    rm = ("RUN rm -rf /var/lib/apt/lists/*",
          [whiteout("var/lib/apt/lists/L1"), whiteout("var/lib/apt/lists/L2")])
    report = pair(
        [(install.format(""), [file("var/lib/apt/lists/L1", b"1" * 100),
                               file("var/lib/apt/lists/L2", b"2" * 50), file("usr/big", b"b" * 9)]),
         rm],
        [(install.format(" --no-install-recommends"),
          [file("var/lib/apt/lists/L1", b"1" * 100), file("var/lib/apt/lists/L2", b"2" * 70),
           file("usr/big", b"b" * 4)]), rm])
    assert [(w.path, w.side, w.size_a, w.size_b, w.delta, w.killed_by) for w in report.waste] == [
        ("/var/lib/apt/lists/L2", "changed", 50, 70, 20, "RUN rm -rf /var/lib/apt/lists/*")]
    assert (report.waste_unchanged_paths, report.waste_unchanged_bytes) == (1, 100)
    assert report.b.wasted_bytes - report.a.wasted_bytes == 20


def test_path_filters_files_and_waste_alike():
    """`/tmp` covers everything under it (files and waste); '/tmp/*.tgz' the tarball only;
    '/usr/*.so.*' matches nothing: `*` does not cross a '/'."""
    steps_a = [("RUN a", [file("usr/lib/x.so.1", b"x" * 4)])]
    steps_b = [("RUN a", [file("usr/lib/x.so.1", b"X" * 5), file("tmp/src.tgz", b"t" * 8),
                          file("tmp/keep", b"k")]),
               ("RUN rm /tmp/src.tgz", [whiteout("tmp/src.tgz")])]
    under_tmp = pair(steps_a, steps_b, "/tmp")
    assert [f.path for f in under_tmp.files] == ["/tmp/keep"]
    assert [(w.path, w.side) for w in under_tmp.waste] == [("/tmp/src.tgz", "appeared")]
    assert under_tmp.path_matches == 1  # /tmp/keep, live in B (the layer has no /tmp entry)
    tarball = pair(steps_a, steps_b, "/tmp/*.tgz")
    assert (tarball.files, [w.path for w in tarball.waste]) == ((), ["/tmp/src.tgz"])
    nothing = pair(steps_a, steps_b, "/usr/*.so.*")
    assert (nothing.files, nothing.waste, nothing.path_matches) == ((), (), 0)
    deep = pair(steps_a, steps_b, "/usr/**/*.so.*")
    assert [(f.path, f.delta) for f in deep.files] == [("/usr/lib/x.so.1", 1)]
