"""readable_instruction for each builder's created_by, and history/layer alignment."""

import pytest

from layerscope.analysis.steps import NO_HISTORY, Step, image_steps, readable_instruction
from layerscope.model import HistoryEntry, Image, Layer


def text(created_by: str, comment: str = "") -> str:
    return readable_instruction(HistoryEntry(created_by, False, comment=comment))


@pytest.mark.parametrize(
    ("created_by", "expected"),
    [
        # legacy builder
        ("/bin/sh -c #(nop)  COPY file:ab in /x ", "COPY file:ab in /x"),
        ('/bin/sh -c #(nop)  CMD ["/bin/sh"]', 'CMD ["/bin/sh"]'),
        ("/bin/sh -c #(nop) ADD file:0123 in / ", "ADD file:0123 in /"),
        ("/bin/sh -c apt-get update", "RUN apt-get update"),
        ("|1 VERSION=2 /bin/sh -c make install", "RUN make install"),
        # BuildKit
        ("RUN /bin/sh -c apt-get update # buildkit", "RUN apt-get update"),
        ("|2 A=b C=d /bin/sh -c make", "RUN make"),
        ("RUN |2 A=b C=d /bin/sh -c make # buildkit", "RUN make"),
        ("COPY . /app # buildkit", "COPY . /app"),
        ("WORKDIR /app", "WORKDIR /app"),
        ("ENV PATH=/usr/bin", "ENV PATH=/usr/bin"),
        # kaniko, buildah
        ("RUN apt-get install x", "RUN apt-get install x"),
        ("COPY a b", "COPY a b"),
    ],
)
def test_created_by_becomes_the_dockerfile_instruction(created_by, expected):
    assert text(created_by) == expected


def test_docker_import_shows_its_comment():
    assert text("", "Imported from -") == "(imported) Imported from -"


def test_empty_created_by_without_comment():
    assert text("  ") == "(no instruction recorded)"


def image(history, layer_count: int) -> Image:
    layers = tuple(Layer(i, f"sha256:{i}", (), 10 * (i + 1)) for i in range(layer_count))
    return Image("ref", "sha256:c", (), "amd64", "linux", tuple(history), layers)


def entry(created_by: str, empty: bool = False) -> HistoryEntry:
    return HistoryEntry(created_by, empty)


def test_empty_layer_entries_get_no_layer_and_the_others_take_layers_in_order():
    steps = image_steps(
        image(
            [
                entry("/bin/sh -c #(nop) ADD file:1 in / "),
                entry('/bin/sh -c #(nop)  CMD ["sh"]', empty=True),
                entry("RUN /bin/sh -c make # buildkit"),
                entry("ENV A=1", empty=True),
                entry("COPY . /app # buildkit"),
            ],
            3,
        )
    )
    assert steps == (
        Step(0, "ADD file:1 in /", "/bin/sh -c #(nop) ADD file:1 in / ", False, 0),
        Step(1, 'CMD ["sh"]', '/bin/sh -c #(nop)  CMD ["sh"]', True, None),
        Step(2, "RUN make", "RUN /bin/sh -c make # buildkit", False, 1),
        Step(3, "ENV A=1", "ENV A=1", True, None),
        Step(4, "COPY . /app", "COPY . /app # buildkit", False, 2),
    )


def test_layers_beyond_the_history_get_synthesised_steps():
    steps = image_steps(image([entry("COPY a /a")], 3))
    assert [(s.index, s.layer, s.history_missing, s.instruction) for s in steps] == [
        (0, 0, False, "COPY a /a"),
        (1, 1, True, NO_HISTORY),
        (2, 2, True, NO_HISTORY),
    ]
    assert (steps[1].created_by, steps[1].empty_layer) == ("", False)


def test_no_history_at_all_gives_one_synthesised_step_per_layer():
    steps = image_steps(image([], 2))
    assert [(s.layer, s.history_missing) for s in steps] == [(0, True), (1, True)]


def test_history_beyond_the_layers_is_kept_without_a_layer():
    steps = image_steps(image([entry("COPY a /a"), entry("COPY b /b")], 1))
    assert [(s.instruction, s.layer, s.history_missing) for s in steps] == [
        ("COPY a /a", 0, False),
        ("COPY b /b", None, False),
    ]
