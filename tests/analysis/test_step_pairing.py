"""Step pairing on sketches: likeness by text or by paths, and the order-keeping alignment."""

from __future__ import annotations

from layerscope.analysis.step_pairing import StepSketch, align, likeness


def test_likeness_is_the_higher_of_text_and_paths():
    same = StepSketch("RUN make")
    assert likeness(same, StepSketch("RUN make")) == 1.0
    # 2 shared of 4 paths in all: 0.5; the texts share nothing alike
    x = StepSketch("COPY a /", frozenset({"/a", "/b", "/c"}))
    y = StepSketch("RUN zzz", frozenset({"/a", "/b", "/d"}))
    assert likeness(x, y) == 0.5
    # one path against three can share at most a third: below 0.5 whatever it holds
    assert likeness(StepSketch("A", frozenset({"/a"})), x) == 0.0


def test_alignment_keeps_order_and_leaves_unlike_steps_alone():
    """a: build, test, package; b: fetch, build2, package. 'RUN make build' and 'RUN make
    build2' are alike (ratio 28/29 > 0.5), package is identical, test and fetch pair with
    nothing: A's unpaired step comes first between two pairs, then B's."""
    a = [StepSketch("RUN make build"), StepSketch("RUN ./test.sh"), StepSketch("COPY out /pkg")]
    b = [StepSketch("ADD https://example.invalid/src.tgz /"), StepSketch("RUN make build2"),
         StepSketch("COPY out /pkg")]
    assert align(a, b) == [(None, 0), (0, 1), (1, None), (2, 2)]
    assert align([], b) == [(None, 0), (None, 1), (None, 2)]
    assert align(a, []) == [(0, None), (1, None), (2, None)]
