"""Every accounting rule of DESIGN.md, with exact numbers."""

from __future__ import annotations

from layerscope.analysis.image_report import inspect_image
from tests.imagebuilder import directory, file, hardlink, opaque, symlink, whiteout

MB = 1_000_000


def dead(report):
    return {(w.path, w.size, w.kind, w.written_by_step, w.killed_by_step) for w in report.wasted}


def assert_invariant(report):
    assert report.size == report.visible_bytes + report.wasted_bytes
    assert report.size == sum(s.size for s in report.steps)
    for step in report.steps:
        assert step.size == step.added_bytes + step.replaced_bytes
        assert step.size == step.dead_bytes + step.live_bytes
        assert step.dead_bytes == sum(b for _, b in step.dead_by_step)


def test_copy_then_rm_in_later_step_is_removed_waste(image_of):
    report = inspect_image(image_of(
        ("COPY dir:req in /tmp/req", [directory("tmp/req"), file("tmp/req/a", b"x" * 300),
                                      file("tmp/req/b", b"y" * 200)]),
        ("RUN install", [file("usr/lib/pkg", b"z" * 50)]),
        ("RUN rm -rf /tmp/req", [directory("tmp"), whiteout("tmp/req")]),
    ))
    assert dead(report) == {("/tmp/req/a", 300, "removed", 0, 2), ("/tmp/req/b", 200, "removed", 0, 2)}
    assert (report.size, report.visible_bytes, report.wasted_bytes) == (550, 50, 500)
    copy, install, remove = report.steps
    assert (copy.dead_bytes, copy.live_bytes, copy.dead_by_step) == (500, 0, ((2, 500),))
    assert (remove.size, remove.deleted_lower_bytes) == (0, 500)
    assert install.live_bytes == 50
    assert all(w.removal_root == "/tmp/req" for w in report.wasted)
    assert_invariant(report)


def test_same_content_rewritten_is_metadata_only(image_of):
    big = b"q" * 1000
    report = inspect_image(image_of(
        ("COPY big /big", [file("big", big, mode=0o644)]),
        ("RUN chmod +x /big", [file("big", big, mode=0o755)]),
        ("RUN chown 1:1 /big", [file("big", big, mode=0o755, uid=1, gid=1)]),
    ))
    assert dead(report) == {("/big", 1000, "metadata-only", 0, 1), ("/big", 1000, "metadata-only", 1, 2)}
    assert (report.visible_bytes, report.wasted_bytes) == (1000, 2000)
    assert report.steps[1].replaced_bytes == 1000 and report.steps[1].deleted_lower_bytes == 1000
    assert_invariant(report)


def test_new_content_is_overwritten(image_of):
    report = inspect_image(image_of(
        ("RUN echo 1 > /v", [file("v", b"one")]),
        ("RUN echo 22 > /v", [file("v", b"two!")]),
        ("RUN echo 333 > /v", [file("v", b"three")]),
    ))
    assert dead(report) == {("/v", 3, "overwritten", 0, 1), ("/v", 4, "overwritten", 1, 2)}
    assert report.visible_bytes == 5
    assert_invariant(report)


def test_opaque_marker_hides_lower_entries_but_keeps_its_own_layer(image_of):
    report = inspect_image(image_of(
        ("RUN mkdir /data && fill", [directory("data"), file("data/old1", b"a" * 10),
                                     directory("data/sub"), file("data/sub/old2", b"b" * 20)]),
        ("RUN rm -rf /data && mkdir /data && echo new > /data/x",
         [directory("data"), file("data/x", b"new\n"), opaque("data")]),
    ))
    assert dead(report) == {("/data/old1", 10, "removed", 0, 1), ("/data/sub/old2", 20, "removed", 0, 1)}
    assert report.visible_bytes == 4
    assert_invariant(report)


def test_whiteout_of_a_path_never_written_is_harmless(image_of):
    report = inspect_image(image_of(("RUN a", [file("a", b"12345")]),
                                    ("RUN rm -f /nothing", [whiteout("nothing"), whiteout("x/y")])))
    assert report.wasted == () and report.visible_bytes == 5
    assert_invariant(report)


def test_symlink_counts_its_target_length_and_replacing_a_file_by_a_link(image_of):
    report = inspect_image(image_of(
        ("RUN write", [file("etc/conf", b"c" * 40)]),
        ("RUN ln -sf /opt/conf /etc/conf", [directory("etc"), symlink("etc/conf", "/opt/conf")]),
    ))
    assert report.steps[1].size == len("/opt/conf")
    assert dead(report) == {("/etc/conf", 40, "replaced-by-link", 0, 1)}
    assert_invariant(report)


def test_hard_link_group_is_counted_once_and_lives_while_any_path_lives(image_of):
    report = inspect_image(image_of(
        ("RUN make && ln /a /b", [file("a", b"h" * 100), hardlink("b", "a")]),
        ("RUN rm /a", [whiteout("a")]),
    ))
    assert report.steps[0].size == 100
    assert dead(report) == {("/a", 0, "removed", 0, 1)}  # dead path, but /b still shows the bytes
    assert (report.visible_bytes, report.wasted_bytes) == (100, 0)
    assert_invariant(report)


def test_hard_link_group_dies_with_its_last_path(image_of):
    report = inspect_image(image_of(
        ("RUN make && ln /a /b", [file("a", b"h" * 100), hardlink("b", "a")]),
        ("RUN rm /a", [whiteout("a")]),
        ("RUN rm /b", [whiteout("b")]),
    ))
    assert dead(report) == {("/a", 100, "removed", 0, 2), ("/b", 0, "removed", 0, 2)}
    assert report.steps[0].dead_by_step == ((2, 100),)
    assert_invariant(report)


def test_file_replacing_a_directory_kills_everything_under_it(image_of):
    report = inspect_image(image_of(
        ("RUN mkdir -p /x/y", [directory("x"), directory("x/y"), file("x/y/f", b"1" * 7)]),
        ("RUN rm -rf /x && touch /x", [file("x", b"")]),
    ))
    assert dead(report) == {("/x/y/f", 7, "removed", 0, 1)}
    assert_invariant(report)


def test_directory_replacing_a_file_kills_the_file(image_of):
    report = inspect_image(image_of(
        ("RUN echo > /p", [file("p", b"file")]),
        ("RUN rm /p && mkdir /p && touch /p/q", [directory("p"), file("p/q", b"qq")]),
    ))
    assert dead(report) == {("/p", 4, "overwritten", 0, 1)}
    assert report.visible_bytes == 2
    assert_invariant(report)


def test_implicit_parent_over_a_file_replaces_it(image_of):
    report = inspect_image(image_of(("RUN a", [file("p", b"file")]),
                                    ("RUN b", [file("p/q", b"qq")])))
    assert dead(report) == {("/p", 4, "overwritten", 0, 1)}
    assert_invariant(report)


def test_removing_a_directory_then_rewriting_one_file_in_it(image_of):
    report = inspect_image(image_of(
        ("RUN a", [directory("d"), file("d/keep", b"k" * 3), file("d/old", b"o" * 5)]),
        ("RUN b", [whiteout("d")]),
        ("RUN c", [directory("d"), file("d/keep", b"k" * 3)]),
    ))
    assert dead(report) == {("/d/keep", 3, "removed", 0, 1), ("/d/old", 5, "removed", 0, 1)}
    assert report.steps[2].added_bytes == 3 and report.steps[2].replaced_bytes == 0
    assert_invariant(report)


def test_empty_layer_steps_and_step_indexes(image_of):
    report = inspect_image(image_of(
        ("/bin/sh -c #(nop) ADD file:abc in / ", [file("big", b"b" * 10)]),
        ('/bin/sh -c #(nop)  CMD ["sh"]', None),
        ("/bin/sh -c rm /big", [whiteout("big")]),
        ("/bin/sh -c #(nop)  ENV A=b", None),
    ))
    assert [s.layer for s in report.steps] == [0, None, 1, None]
    assert [s.empty_layer for s in report.steps] == [False, True, False, True]
    assert dead(report) == {("/big", 10, "removed", 0, 2)}
    assert report.steps[2].instruction == "RUN rm /big"


def test_dive_efficiency_matches_dives_definition(image_of):
    report = inspect_image(image_of(
        ("RUN a", [file("f", b"1" * 100), directory("d"), file("d/g", b"2" * 50)]),
        ("RUN b", [file("f", b"1" * 100)]),  # same path again: min 100, cumulative 200
        ("RUN c", [whiteout("d")]),           # removed directory: counted once at "/d", 50 bytes
    ))
    # dive sees "/d" only once, so the removed directory costs nothing in its score (the blind
    # spot DESIGN.md names): minimum f 100 + d/g 50 + d 50 = 200 over cumulative 200 + 50 + 50
    assert report.efficiency == 200 / 300
    assert report.wasted_bytes == 150


def test_dive_efficiency_of_a_directory_whited_out_twice_in_one_layer(image_of):
    report = inspect_image(image_of(
        ("RUN a", [directory("d"), file("d/f", b"1" * 50), file("x", b"2" * 100)]),
        ("RUN b", [whiteout("d"), whiteout("d")]),  # the second finds nothing left to remove
    ))
    # both whiteouts count the size of the last one in that layer (0), as the score always has:
    # "/d/f" 50 and "/x" 100 seen once each, "/d" seen twice at 0: 150 over 150
    assert report.efficiency == 1.0
    assert report.wasted_bytes == 50
