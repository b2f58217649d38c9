"""The base-image boundary: --base by common layer prefix, else the CMD/ENTRYPOINT heuristic."""

from __future__ import annotations

from layerscope.analysis.image_report import inspect_image
from layerscope.model import LayerDigests
from tests.imagebuilder import file, whiteout


def story(image_of):
    return image_of(
        ("", [file("bin/sh", b"s" * 100)]),                    # docker import
        ('/bin/sh -c #(nop)  CMD ["bash"]', None),
        ("/bin/sh -c apt-get update", [file("var/lib/apt/lists/x", b"l" * 40)]),
        ("/bin/sh -c rm -rf /var/lib/apt/lists/*", [whiteout("var/lib/apt/lists/x")]),
        ("/bin/sh -c rm /bin/sh", [whiteout("bin/sh")]),
        ('/bin/sh -c #(nop)  ENTRYPOINT ["python3"]', None),
    )


def test_heuristic_ends_the_base_at_the_last_cmd_before_the_users_layers(image_of):
    report = inspect_image(story(image_of))
    assert (report.base.layer_count, report.base.step_count, report.base.method) == (1, 2, "heuristic")
    assert [s.base for s in report.steps] == [True, True, False, False, False, False]
    assert report.user_size == 40
    assert report.user_wasted_bytes == 40  # the base's removed /bin/sh is not the user's waste
    assert report.wasted_bytes == 140


def test_no_cmd_before_the_last_layer_means_no_base(image_of):
    report = inspect_image(image_of(("RUN a", [file("a", b"1")]), ('CMD ["sh"]', None)))
    assert (report.base.layer_count, report.base.method) == (0, "none")
    assert report.user_size == report.size


def test_base_image_given_sets_the_common_prefix(image_of):
    image = story(image_of)
    base = LayerDigests("base:1", (image.layers[0].diff_id,), 2)
    report = inspect_image(image, base)
    assert (report.base.layer_count, report.base.step_count, report.base.method) == (1, 2, "base-image")
    assert "base:1" in report.base.detail


def test_a_docker_import_closes_the_base_when_its_cmd_is_only_in_the_config(image_of):
    from layerscope.model import HistoryEntry

    image = image_of(("", [file("bin/sh", b"s" * 100)]), ("/bin/sh -c apt-get update", [file("l", b"1")]))
    imported = HistoryEntry("", False, comment="Imported from -")
    image = type(image)(image.ref, image.image_id, image.repo_tags, image.architecture, image.os,
                        (imported,) + image.history[1:], image.layers)
    report = inspect_image(image)
    assert (report.base.layer_count, report.base.method) == (1, "heuristic")
    assert report.steps[0].instruction == "(imported) Imported from -"
