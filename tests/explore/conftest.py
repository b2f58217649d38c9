"""The explorer's fixture: a small image described step by step, with its figures worked out
by hand in STORY below, and the app made from it the way `layerscope explore` makes it."""

from __future__ import annotations

import pytest

from layerscope.analysis.image_report import analyze
from layerscope.analysis.step_tree import StepTree
from layerscope.commands.inspect import with_findings
from tests.analysis.conftest import build_image
from tests.imagebuilder import directory, file, whiteout

# Step by step (B: the base image, ending at its CMD):
#  0 B ADD rootfs     /bin/sh 1,000 B, /etc/passwd 100 B, /tmp/            layer 0: 1,100 B
#  1 B CMD ["sh"]     no layer
#  2   RUN install    /usr/lib/big 5,000 B (new), /tmp/cache/a 300 B, /tmp/cache/b 200 B,
#                     /etc/passwd 120 B (new content: the 100 B one dies, overwritten)
#                                                                         layer 1: 5,620 B
#  3   RUN chmod      /usr/lib/big again, same bytes, mode 755: the step-2 copy dies,
#                     metadata-only                                        layer 2: 5,000 B
#  4   RUN rm         whiteout of /tmp/cache: a (300) and b (200) die, removed   layer 3: 0 B
#  5   ENV X=1        no layer
# size 1,100 + 5,620 + 5,000 = 11,720 B; dead 100 + 5,000 + 300 + 200 = 5,600 B;
# visible 1,000 (sh) + 120 (passwd) + 5,000 (big) = 6,120 B = 11,720 - 5,600.
BIG = b"b" * 5000
STORY = (
    ("/bin/sh -c #(nop) ADD file:rootfs in / ",
     [file("/bin/sh", b"s" * 1000), file("/etc/passwd", b"p" * 100), directory("/tmp")]),
    ('/bin/sh -c #(nop)  CMD ["sh"]', None),
    ("/bin/sh -c apt-get install big",
     [file("/usr/lib/big", BIG), file("/tmp/cache/a", b"a" * 300),
      file("/tmp/cache/b", b"c" * 200), file("/etc/passwd", b"q" * 120)]),
    ("/bin/sh -c chmod 755 /usr/lib/big", [file("/usr/lib/big", BIG, mode=0o755)]),
    ("/bin/sh -c rm -rf /tmp/cache", [whiteout("/tmp/cache")]),
    ("/bin/sh -c #(nop)  ENV X=1", None),
)


def story_analysis():
    """The analysis of STORY, as explore reads it."""
    return analyze(build_image(*STORY))


def empty_analysis():
    """An image with no layers and no history."""
    return analyze(build_image())


@pytest.fixture(scope="session")
def story():
    """(report with findings, StepTree) of STORY."""
    analysis = story_analysis()
    return with_findings(analysis), StepTree(analysis)


@pytest.fixture
def story_app(story):
    """A fresh ExploreApp of STORY."""
    from layerscope.explore.app import ExploreApp

    return ExploreApp(*story)


# STORY_B: STORY with /bin/sh grown to 1,500 B and /usr/lib/extra (700 B) added by the install:
# the final filesystems differ by /bin/sh +500 B and /usr/lib/extra +700 B, +1,200 B in all
STORY_B = (
    (STORY[0][0], [file("/bin/sh", b"t" * 1500), *STORY[0][1][1:]]),
    STORY[1],
    (STORY[2][0], [*STORY[2][1], file("/usr/lib/extra", b"x" * 700)]),
    *STORY[3:],
)


@pytest.fixture
def story_b_app():
    """The DiffApp of STORY -> STORY_B."""
    from layerscope.analysis.diff import diff_images
    from layerscope.explore.diff_app import DiffApp

    return DiffApp(diff_images(story_analysis(), analyze(build_image(*STORY_B))))
