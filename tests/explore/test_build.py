"""`explore` reads its image in a forked child and has the child find the findings
(commands/read_apart.py): what it shows must be what inspect's own read and analysis make."""

from __future__ import annotations

from layerscope.analysis.image_report import analyze
from layerscope.analysis.step_tree import CHANGES, FILESYSTEM, StepTree
from layerscope.commands.explore import ExploreOptions, build_app
from layerscope.commands.inspect import with_findings
from layerscope.commands.reading import read_image, reading_for
from tests.explore.conftest import STORY
from tests.imagebuilder import ImageSpec, Step, write_docker_archive


def test_the_report_and_tree_are_inspects(tmp_path):
    spec = ImageSpec(steps=tuple(Step(created_by, None if entries is None else tuple(entries))
                                 for created_by, entries in STORY))
    path = str(write_docker_archive(spec, tmp_path / "story.tar"))
    options = ExploreOptions(image=path, no_cache=True, quiet=True)
    app = build_app(options, None, *reading_for(options))

    analysis = analyze(read_image(path, options, None, *reading_for(options)))
    expected = with_findings(analysis)
    assert app.report == expected
    assert {finding.rule for finding in app.report.findings} >= {"LS001"}  # the rm of /tmp/cache
    tree = StepTree(analysis)
    for layer in range(len(analysis.report.layers)):
        for mode in (CHANGES, FILESYSTEM):
            for directory in ("/", "/tmp", "/usr/lib", "/etc"):
                assert (app.step_tree.directory(directory, layer, mode)
                        == tree.directory(directory, layer, mode))
