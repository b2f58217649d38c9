"""A second read, and a diff of two images sharing a base, read no layer already indexed."""

from layerscope.commands.diff import read_both
from layerscope.layers.cache import CacheStore
from layerscope.layers.limits import ReadOptions
from layerscope.sources.reference import open_source
from tests.imagebuilder import ImageSpec, Step, file, write_docker_archive

BASE = Step("ADD rootfs /", (file("/bin/sh", b"#!" * 5000), file("/etc/os-release", b"ID=t\n")))
A = ImageSpec((BASE, Step("RUN make a", (file("/app/a", b"a" * 3000),))), repo_tag="app:a")
B = ImageSpec((BASE, Step("RUN make b", (file("/app/b", b"b" * 4000),)),
               Step("RUN make c", (file("/app/c", b"c" * 10),))), repo_tag="app:b")


def layers_read(messages: list[str]) -> int:
    return sum(message.startswith("reading layer") for message in messages)


def test_a_second_read_and_a_diff_after_both_read_no_layer(tmp_path, isolated_cache):
    a, b = write_docker_archive(A, tmp_path / "a.tar"), write_docker_archive(B, tmp_path / "b.tar")
    first: list[str] = []
    open_source(str(a)).read(first.append, CacheStore())
    assert layers_read(first) == 2
    again: list[str] = []
    open_source(str(a)).read(again.append, CacheStore())
    open_source(str(b)).read(again.append, CacheStore())
    assert layers_read(again) == 2  # only B's own two layers: the base was indexed with A
    messages: list[str] = []
    image_a, image_b = read_both(str(a), str(b), None, messages.append,
                                  CacheStore(), ReadOptions())
    assert layers_read(messages) == 0
    assert image_a.layers[0].files == image_b.layers[0].files
