"""Issue 13's merge edges: a root opaque marker, entries below a lower symlink, the hard-link
copy-up listed name-first, and two members at one path, with figures worked out by hand."""

from __future__ import annotations

from layerscope.analysis.image_report import analyze, inspect_image
from layerscope.analysis.merge import DUPLICATE_MEMBER, ROOT_OPAQUE
from layerscope.analysis.tree import find_node, live_files
from layerscope.model import EntryKind
from tests.analysis.test_merge import assert_invariant, dead
from tests.imagebuilder import directory, file, hardlink, opaque, symlink, whiteout


def test_opaque_marker_at_the_root_hides_every_lower_entry(image_of):
    report = inspect_image(image_of(
        ("ADD rootfs /", [directory("etc"), file("etc/hostname", b"box\n"), directory("bin"),
                          file("bin/sh", b"s" * 10), symlink("bin/ash", "sh")]),
        ("RUN crafted", [file("etc/keep", b"kk")]),
        ("RUN crafted", [opaque(""), file("new", b"new")]),  # "./.wh..wh..opq"
    ))
    # size 4 + 10 + 2 (symlink "sh") + 2 + 3 = 21; everything of steps 0 and 1 is removed by
    # step 2, whose own /new (3 bytes) stays: visible 3, wasted 18
    assert dead(report) == {("/etc/hostname", 4, "removed", 0, 2), ("/bin/sh", 10, "removed", 0, 2),
                            ("/bin/ash", 2, "removed", 0, 2), ("/etc/keep", 2, "removed", 1, 2)}
    assert (report.size, report.visible_bytes, report.wasted_bytes) == (21, 3, 18)
    assert all(w.removal_root == "/" for w in report.wasted)
    # overlay2 ignores the marker at a layer root (tests/integration/test_overlay_merge.py): said
    assert [(w.kind, w.path, w.layer, w.step) for w in report.warnings] == [(ROOT_OPAQUE, "/", 2, 2)]
    assert "Docker's overlay2 ignores the marker" in report.warnings[0].message
    assert_invariant(report)


def test_root_opaque_marker_keeps_entries_of_its_own_layer_listed_before_it(image_of):
    analysis = analyze(image_of(("RUN a", [file("old", b"o" * 5)]),
                                ("RUN b", [file("new", b"n" * 7), opaque("")])))
    assert dead(analysis.report) == {("/old", 5, "removed", 0, 1)}
    assert set(live_files(analysis.merged.final_tree)) == {"/new"}


def _symlinked(*upper):
    return (("RUN mkdir /real && ln -s real /link",
             [directory("real"), file("real/old", b"o" * 10), symlink("link", "real")]),
            ("RUN crafted", list(upper)))


def test_entry_below_a_lower_symlink_makes_the_path_a_directory_as_overlay2_does(image_of):
    analysis = analyze(image_of(*_symlinked(file("link/new", b"n" * 20))))
    report = analysis.report
    # the engine's export of this image holds link/ (a directory) with new, and real/old:
    # size 10 + 4 ("real") + 20 = 34, visible 10 + 20 = 30, the symlink's 4 bytes dead
    assert dead(report) == {("/link", 4, "overwritten", 0, 1)}
    assert (report.size, report.visible_bytes, report.wasted_bytes) == (34, 30, 4)
    files = live_files(analysis.merged.final_tree)
    assert "/link" not in files and set(files) == {"/real", "/real/old", "/link/new"}
    assert find_node(analysis.merged.final_tree, "/link").version is None  # an implicit dir
    assert_invariant(report)


def test_whiteout_or_opaque_marker_below_a_lower_symlink_replaces_it_too(image_of):
    for marker in (whiteout("link/ghost"), opaque("link")):
        analysis = analyze(image_of(*_symlinked(marker)))
        assert dead(analysis.report) == {("/link", 4, "overwritten", 0, 1)}
        assert set(live_files(analysis.merged.final_tree)) == {"/real", "/real/old"}


def test_entry_below_a_lower_file_via_a_whiteout_replaces_the_file(image_of):
    report = inspect_image(image_of(("RUN a", [file("f", b"f" * 6)]),
                                    ("RUN b", [whiteout("f/x")])))
    assert dead(report) == {("/f", 6, "overwritten", 0, 1)}
    assert (report.visible_bytes, report.wasted_bytes) == (0, 6)


def test_entry_below_a_symlink_of_the_same_layer_keeps_the_symlink(image_of):
    # Docker follows a symlink of the layer being unpacked; the merge keeps both (documented)
    analysis = analyze(image_of(("RUN a", [directory("real"), symlink("link", "real"),
                                           file("link/x", b"xx")])))
    assert analysis.report.wasted == ()
    version = live_files(analysis.merged.final_tree)["/link"]
    assert version.kind == EntryKind.SYMLINK


def test_hard_link_copy_up_listing_the_new_name_first_is_metadata_only(image_of):
    content = b"c" * 1000
    report = inspect_image(image_of(
        ("COPY z /opt/z", [directory("opt"), file("opt/z", content)]),
        # RUN ln /opt/z /opt/a: overlayfs copies /opt/z up; the layer tar lists /opt/a (sorted
        # first) as the file and /opt/z as the link to it
        ("RUN ln /opt/z /opt/a", [directory("opt"), file("opt/a", content), hardlink("opt/z", "opt/a")]),
    ))
    assert dead(report) == {("/opt/z", 1000, "metadata-only", 0, 1)}
    assert (report.size, report.visible_bytes, report.wasted_bytes) == (2000, 1000, 1000)
    assert_invariant(report)


def test_hard_link_to_new_content_over_a_file_stays_replaced_by_link(image_of):
    report = inspect_image(image_of(
        ("COPY z /z", [file("z", b"old" * 10)]),
        ("RUN crafted", [file("a", b"new" * 10), hardlink("z", "a")]),
    ))
    assert dead(report) == {("/z", 30, "replaced-by-link", 0, 1)}


def test_two_members_at_one_path_are_counted_and_warned_about(image_of):
    report = inspect_image(image_of(
        ("RUN a", [file("keep", b"k")]),
        ("RUN crafted", [file("dup", b"one"), file("dup", b"two!"), whiteout("gone"),
                         whiteout("gone"), file("single", b"s")]),
    ))
    # each member counts: size 1 + 3 + 4 + 1 = 9; the first /dup (3) is dead, killed by its own
    # layer: visible 1 + 4 + 1 = 6, wasted 3
    assert dead(report) == {("/dup", 3, "overwritten", 1, 1)}
    assert (report.size, report.visible_bytes, report.wasted_bytes) == (9, 6, 3)
    assert [(w.kind, w.path, w.layer, w.step) for w in report.warnings] == [
        (DUPLICATE_MEMBER, "/dup", 1, 1), (DUPLICATE_MEMBER, "/gone", 1, 1)]
    assert report.warnings[0].message.startswith("layer 1 (step 1) has more than one member at /dup")
    assert_invariant(report)


def test_one_member_per_path_gives_no_warning(image_of):
    report = inspect_image(image_of(("RUN a", [file("x", b"1")]), ("RUN b", [file("x", b"2")])))
    assert report.warnings == ()
