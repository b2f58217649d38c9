"""Each builder's history conventions: the instruction text a user recognises and the base image
found. The histories are the ones each tool wrote here (podman 4.3, buildah 1.28, umoci 0.4,
Docker 20.10's legacy builder), BuildKit's and kaniko's as their sources write them."""

from __future__ import annotations

import pytest

from layerscope.analysis.base_image import boundary_from_heuristic
from layerscope.analysis.steps import COMMITTED, image_steps, readable_instruction
from layerscope.model import HistoryEntry, Image, Layer

BASE = [  # layerscope/busybox:base as `podman build` writes it: each step FROM the one before
    ("/bin/sh -c #(nop) COPY file:01b0 in /bin/busybox ", False, ""),
    ('/bin/sh -c ["/bin/busybox", "--install", "-s", "/bin"]', False, "FROM f79f1083fb54"),
    ('/bin/sh -c #(nop) CMD ["/bin/sh"]', True, "FROM 7e63d199dca2"),
]


def image(history: list[tuple[str, bool, str]]) -> Image:
    entries = tuple(HistoryEntry(created_by, empty, comment=comment)
                    for created_by, empty, comment in history)
    layers = tuple(Layer(i, f"sha256:{i}", (), 10)
                   for i in range(sum(1 for e in entries if not e.empty_layer)))
    return Image("ref", "sha256:c", (), "amd64", "linux", entries, layers)


def boundary(history):
    found = boundary_from_heuristic(image_steps(image(history)))
    return found.layer_count, found.step_count, found.method


def text(created_by: str, comment: str = "") -> str:
    return readable_instruction(HistoryEntry(created_by, False, comment=comment))


@pytest.mark.parametrize(
    ("created_by", "comment", "expected"),
    [
        # podman import and docker import
        ("/bin/sh -c #(nop) ADD file:43a88cd7 in /", "imported from tarball",
         "(imported) imported from tarball"),
        ("", "Imported from -", "(imported) Imported from -"),
        # podman build / buildah bud: legacy forms, the exec form of RUN behind /bin/sh -c
        ("/bin/sh -c echo hello > /greeting", "FROM localhost/base:1",
         "RUN echo hello > /greeting"),
        ('/bin/sh -c ["/bin/busybox", "--install"]', "FROM f79f1083fb54",
         'RUN ["/bin/busybox", "--install"]'),
        # buildah from/run/commit: created_by is the container's command, nothing it ran
        ("/bin/sh", "FROM localhost/base:1", COMMITTED),
        # umoci's own steps ran no shell
        ("umoci insert", "", "umoci insert"),
        ("umoci repack", "", "umoci repack"),
        ("umoci config", "", "umoci config"),
        # BuildKit: RUN --mount and COPY --link leave no trace in created_by; a heredoc's lines
        # stay on one line
        ("RUN /bin/sh -c echo hi > /a # buildkit", "buildkit.dockerfile.v0", "RUN echo hi > /a"),
        ("COPY Dockerfile /d # buildkit", "buildkit.dockerfile.v0", "COPY Dockerfile /d"),
        ("RUN /bin/sh -c <<EOF\necho one > /h1\necho two > /h2\nEOF # buildkit",
         "buildkit.dockerfile.v0", "RUN <<EOF\\necho one > /h1\\necho two > /h2\\nEOF"),
        ("WORKDIR /w", "buildkit.dockerfile.v0", "WORKDIR /w"),
        # kaniko writes the instruction itself
        ("RUN apk add curl", "", "RUN apk add curl"),
        ("COPY --from=build /out /app", "", "COPY --from=build /out /app"),
    ],
)
def test_every_builders_step_reads_as_its_instruction(created_by, comment, expected):
    assert text(created_by, comment) == expected


def test_a_podman_build_on_a_podman_base():
    history = [*BASE,
               ("/bin/sh -c echo hello > /greeting", False, "FROM localhost/base:1"),
               ("/bin/sh -c #(nop) COPY file:ae71 in /app/ ", False, "FROM 475de828bed3"),
               ("/bin/sh -c #(nop) ENV X=1", True, "FROM b5426147a9e5")]
    assert boundary(history) == (2, 3, "heuristic")


@pytest.mark.parametrize("variant", ["--squash", "--layers=false"])
def test_a_squashed_podman_build_keeps_its_base(variant):
    # both record the user's steps as empty and the one new layer on the last, FROM-commented
    history = [*BASE,
               ("/bin/sh -c echo hello > /greeting", True, ""),
               ("/bin/sh -c #(nop) COPY file:ae71 in /app/ ", True, ""),
               ("/bin/sh -c #(nop) ENV X=1", False, "FROM localhost/base:1")]
    assert boundary(history) == (2, 3, "heuristic")


def test_a_buildah_script_commit():
    assert boundary([*BASE, ("/bin/sh", False, "FROM localhost/base:1")]) == (2, 3, "heuristic")


def test_a_base_without_cmd_is_found_by_buildahs_comment():
    # a base made by `buildah commit` has no CMD to close it: only the comment tells
    history = [("/bin/sh -c #(nop) ADD file:9a in /", False, ""),
               ("/bin/sh", False, "FROM localhost/stage0:1"),
               ("/bin/sh -c make", False, "FROM localhost/base:2")]
    assert boundary(history) == (2, 2, "heuristic")


def test_an_image_on_a_podman_imported_base():
    history = [("/bin/sh -c #(nop) ADD file:43a8 in /", False, "imported from tarball"),
               ("RUN /bin/sh -c apt-get update # buildkit", False, "buildkit.dockerfile.v0")]
    assert boundary(history) == (1, 1, "heuristic")


def test_an_image_on_an_umoci_base_with_a_cmd():
    history = [*BASE, ("umoci insert", False, ""), ("umoci config", True, ""),
               ("RUN /bin/sh -c make # buildkit", False, "buildkit.dockerfile.v0")]
    # nothing marks where the umoci-made image was used as a base (`umoci config` is no CMD
    # step), so the base ends at the last CMD: the umoci layer counts as the user's
    assert boundary(history) == (2, 3, "heuristic")


def test_buildahs_intermediate_ids_and_from_scratch_are_no_boundary():
    only_intermediate = [("/bin/sh -c #(nop) ADD file:9a in /", False, ""),
                         ("/bin/sh -c make", False, "FROM 0123456789ab")]
    assert boundary(only_intermediate) == (0, 0, "none")
    from_scratch = [("/bin/sh -c #(nop) COPY file:9a in / ", False, "FROM scratch")]
    assert boundary(from_scratch) == (0, 0, "none")
