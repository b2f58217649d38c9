"""Worker-process indexing gives exactly the serial result, and is used only where it pays."""

from __future__ import annotations

import tarfile

from layerscope.layers import parallel
from layerscope.layers.parallel import FileRegion, index_region, index_regions, worth_parallel
from tests.imagebuilder import (
    ImageSpec,
    Step,
    file,
    hardlink,
    symlink,
    whiteout,
    write_docker_archive,
)


def test_parallel_and_serial_indexes_are_identical(tmp_path):
    spec = ImageSpec(steps=(
        Step("RUN a", tuple(file(f"a/{i}", f"content {i}" * 50) for i in range(200))),
        Step("RUN b", (symlink("b/link", "/a/1"), hardlink("b/hard", "a/2"), whiteout("a/3"))),
        Step("RUN c", tuple(file(f"c/{i}", bytes([i]) * 4000) for i in range(100))),
    ))
    archive = write_docker_archive(spec, tmp_path / "image.tar")
    with tarfile.open(archive) as tar:
        regions = {m.name: FileRegion(str(archive), m.offset_data, m.size)
                   for m in tar.getmembers() if m.name.endswith("layer.tar") and m.isreg()}
    assert len(regions) == 3
    together = index_regions(regions)
    for name, region in regions.items():
        assert together[name] == index_region(region)


def test_parallel_only_where_it_pays(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    half = parallel.MIN_PARALLEL_BYTES // 2
    assert worth_parallel([FileRegion("x", 0, half), FileRegion("y", 0, half)])
    assert not worth_parallel([FileRegion("x", 0, half * 2)])                 # one layer
    assert not worth_parallel([FileRegion("x", 0, 10), FileRegion("y", 0, 10)])  # too small
    assert not worth_parallel([FileRegion("x", 0, half * 4), FileRegion("y", 0, half)])  # dominated
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)
    assert not worth_parallel([FileRegion("x", 0, half), FileRegion("y", 0, half)])
