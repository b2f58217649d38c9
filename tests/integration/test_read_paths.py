"""Every read path gives the same report (issue 13, "How it must be shown").

Each sample image (built by `make samples`) is read from a `docker save` archive (uncompressed
layers, read by offset), from OCI layouts of the same image with gzip and with zstd layers (made
here from the saved layers), and from the engine's export. Each file is read four ways: a first
run with a fresh cache, a second run (the report memo and the cached indexes), a replayed run
(the stored output), and a --no-cache run (which may skip large files unread). Every exit 0 case
of the hostile corpus goes the same ways, its docker archives also with gzip and zstd layers and
as a gzip-compressed archive (`docker save | gzip`, read as one stream).

Every report must be the same JSON but for the fields that say where the bytes came from and
how they were stored, which differ by construction: `image.ref` (the reference as typed) and,
per layer, `compressed_size` and `media_type` (a docker save archive carries neither, a layout
carries its blobs' own); those two are checked against the blobs written here instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import zstandard

from layerscope import replay
from tests.hostile import tarbytes as tb
from tests.hostile.corpus import CASES
from tests.inprocess import run_main

pytestmark = pytest.mark.engine

SAMPLES = ("layerscope/busybox:base", "layerscope/debian:bookworm", "size:latest", "chmod:latest",
           "overwrite:latest", "opaque:latest", "caches:latest", "multistage:latest",
           "links:latest", "deep:latest", "size:v1", "size:v2", "size:v3", "size:v4")
"""Every image scripts/build-samples.sh builds."""
LAYER_TYPES = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
               "zstd": "application/vnd.oci.image.layer.v1.tar+zstd"}
CHUNK = 8 << 20
OLD_NS = (int(time.time()) - 3600) * 10**9
"""Files are given this modification time: a run keeps its output for replay only when the
files are safely older than the run (replay.SAFE_AGE_NS)."""


def aged(path: Path) -> Path:
    """Give every file under path (or path itself) an old modification time."""
    paths = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for each in paths:
        os.utime(each, ns=(OLD_NS, OLD_NS))
    return path


# ------------------------------------------------------------------------- making the inputs

def _compress_member(archive: Path, member: tarfile.TarInfo, codec: str, pool: Path) -> tuple:
    """The member's bytes compressed into pool/<digest>; (digest, size, path)."""
    compressor = (zlib.compressobj(1, zlib.DEFLATED, 31) if codec == "gzip"
                  else zstandard.ZstdCompressor(level=1).compressobj())
    digest, size = hashlib.sha256(), 0
    temporary = pool / f".{member.name.replace('/', '_')}"
    with open(archive, "rb") as source, open(temporary, "wb") as target:
        source.seek(member.offset_data)
        remaining = member.size
        while True:
            piece = source.read(min(CHUNK, remaining))
            remaining -= len(piece)
            out = compressor.compress(piece) if piece else compressor.flush()
            digest.update(out)
            size += len(out)
            target.write(out)
            if not piece:
                break
    final = pool / digest.hexdigest()
    os.replace(temporary, final)
    return "sha256:" + digest.hexdigest(), size, final


def _followed(members: dict[str, tarfile.TarInfo], name: str) -> str:
    """The member a name stands for: `docker save` of several images writes a layer that two
    of them share once, and the other's layer.tar as a symlink to it."""
    member = members[name]
    if member.issym():
        return _followed(members, os.path.normpath(os.path.join(os.path.dirname(name),
                                                                member.linkname)))
    return name


def _blob(directory: Path, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    (directory / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def write_layouts(archive: Path, root: Path, codec: str) -> dict[str, tuple[Path, list]]:
    """One OCI layout per image of a docker save archive, its layers compressed with `codec`
    (each distinct layer once, hard-linked into every layout that has it); tag -> (layout,
    [(size, media type) of each layer])."""
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
        manifest = json.loads(tar.extractfile("manifest.json").read())
        configs = {e["Config"]: tar.extractfile(e["Config"]).read() for e in manifest}
    pool = root / f"pool-{codec}"
    pool.mkdir()
    distinct = sorted({_followed(members, name) for entry in manifest for name in entry["Layers"]})
    with ThreadPoolExecutor(2) as workers:  # zlib and zstd let go of the GIL
        compressed = dict(zip(distinct, workers.map(
            lambda name: _compress_member(archive, members[name], codec, pool), distinct)))
    blobs = {name: compressed[_followed(members, name)]
             for entry in manifest for name in entry["Layers"]}
    layouts = {}
    for entry in manifest:
        for tag in entry["RepoTags"]:
            layout = root / f"{re.sub('[^a-z0-9]', '-', tag)}-{codec}"
            (layout / "blobs" / "sha256").mkdir(parents=True)
            (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
            layers = []
            for name in entry["Layers"]:
                digest, size, path = blobs[name]
                link = layout / "blobs" / "sha256" / digest.removeprefix("sha256:")
                if not link.exists():
                    os.link(path, link)
                layers.append({"mediaType": LAYER_TYPES[codec], "digest": digest, "size": size})
            config = {"mediaType": "application/vnd.oci.image.config.v1+json",
                      **_blob(layout, configs[entry["Config"]])}
            manifest_bytes = json.dumps({"schemaVersion": 2, "config": config,
                                         "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                         "layers": layers}).encode()
            top = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                   **_blob(layout, manifest_bytes),
                   "annotations": {"org.opencontainers.image.ref.name": tag}}
            (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
            layouts[tag] = (aged(layout), [(layer["size"], LAYER_TYPES[codec]) for layer in layers])
    return layouts


@pytest.fixture(scope="module")
def inputs(client, tmp_path_factory):
    """tag -> {path name: (reference, expected (compressed size, media type) per layer)}."""
    root = tmp_path_factory.mktemp("read-paths")
    archive = root / "samples.tar"
    saved = subprocess.run(["docker", "save", "-o", str(archive), *SAMPLES], capture_output=True,
                           text=True, timeout=600)
    assert saved.returncode == 0, f"{saved.stderr}; run `make samples` (it builds every sample)"
    aged(archive)
    found = {tag: {"uncompressed": (f"docker-archive:{archive}:{tag}", None)} for tag in SAMPLES}
    for codec in LAYER_TYPES:
        for tag, (layout, layers) in write_layouts(archive, root, codec).items():
            found[tag][codec] = (f"oci:{layout}", layers)
    yield found
    shutil.rmtree(root, ignore_errors=True)  # two gigabytes


# --------------------------------------------------------------------------- reading them


def four_ways(reference: str, args: tuple[str, ...], cache: Path, out: Path,
              no_cache: bool = True) -> dict[str, bytes]:
    """The report of each way of reading a file: a first run with an empty cache (to a file:
    -o is never replayed), the second, the replayed one, and a --no-cache run (unless not
    `no_cache`)."""
    os.environ["LAYERSCOPE_CACHE_DIR"] = str(cache)  # the test's monkeypatch restores it
    command = ("inspect", reference, "--format", "json", *args)
    code, _ = run_main(*command, "-o", out)
    assert code == 0
    reports = {"first": out.read_bytes()}
    code, reports["second"] = run_main(*command)
    assert code == 0
    pending = replay.replay_key(list(command))
    if pending is not None:  # --verify is never replayed
        assert replay.stored_output(pending) == reports["second"], "not kept for replay"
        code, reports["replayed"] = run_main(*command)
    if no_cache:
        code, reports["no-cache"] = run_main(*command, "--no-cache")
        assert code == 0
    return reports


def comparable(report: bytes, layers: list | None = None) -> dict:
    """The report without the fields that name the source; `layers`, when given, are the
    (compressed size, media type) the layers' blobs must show."""
    document = json.loads(report)
    del document["image"]["ref"]
    shown = [(layer.pop("compressed_size"), layer.pop("media_type"))
             for layer in document["layers"]]
    if layers is not None:
        assert shown == layers
    return document


@pytest.mark.parametrize("tag", SAMPLES)
def test_every_read_path_gives_one_report_for_each_sample(tag, inputs, tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "engine-cache"))
    code, engine = run_main("inspect", tag, "--format", "json")
    assert code == 0
    expected = comparable(engine)
    assert expected["image"]["size"] > 0
    for path, (reference, layers) in inputs[tag].items():
        # a layout is read the same way with and without a cache (only an uncompressed
        # archive skips large files with --no-cache), and the story's layouts are 2 GB of gzip
        # and zstd to read once more: their --no-cache run is left to the corpus cases
        reports = four_ways(reference, (), tmp_path / f"cache-{path}", tmp_path / f"{path}.json",
                            no_cache=path == "uncompressed")
        assert set(reports) >= {"first", "second", "replayed"}
        for way, report in reports.items():
            assert comparable(report, layers) == expected, f"{tag}: {path}, {way} run"


# ------------------------------------------------------------------------ the hostile corpus


def recompressed(archive: str, codec: str) -> str:
    """The docker archive with its layer members compressed with `codec`, beside it."""
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        layers = {name for entry in manifest for name in entry["Layers"]}
        files, links = {}, {}
        for member in tar.getmembers():
            if member.issym():
                links[member.name] = member.linkname
            elif member.isreg():
                data = tar.extractfile(member).read()
                files[member.name] = tb.compress(data, codec) if member.name in layers else data
    return tb.write(Path(archive).with_name(f"layers-{codec}.tar"), tb.tar_of(files, symlinks=links))


def corpus_paths(reference: str) -> dict[str, str]:
    """The ways a corpus case's input is given: as built, and for a docker archive also with
    gzip and zstd layers and as one gzip stream."""
    paths = {"as built": reference}
    if reference.endswith(".tar") and tarfile.is_tarfile(reference):
        with tarfile.open(reference) as tar:
            legacy = "manifest.json" in tar.getnames()
        if legacy:
            paths["gzip layers"] = recompressed(reference, "gzip")
            paths["zstd layers"] = recompressed(reference, "zstd")
        whole = Path(reference).with_name("archive.tar.gz")
        whole.write_bytes(tb.compress(Path(reference).read_bytes(), "gzip"))
        paths["gzip archive"] = str(whole)
    return paths


ZERO_EXIT = [case for case in CASES if case.exit_code == 0]


@pytest.mark.parametrize("case", ZERO_EXIT, ids=[c.name for c in ZERO_EXIT])
def test_every_read_path_gives_one_report_for_each_corpus_case(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    reference = case.build(inputs)
    args = list(case.args)
    if "--format" in args:  # compared as JSON; the text renderings have their own tests
        del args[args.index("--format"):args.index("--format") + 2]
    paths = corpus_paths(reference)
    aged(inputs)
    expected = None
    for number, (path, given) in enumerate(paths.items()):
        reports = four_ways(given, tuple(args), tmp_path / f"cache-{number}",
                            tmp_path / f"{number}.json")
        for way, report in reports.items():
            document = comparable(report)
            if expected is None:
                expected = document
                size, visible, wasted = case.figures
                assert (document["image"]["size"], document["image"]["visible_bytes"],
                        document["image"]["wasted_bytes"]) == (size, visible, wasted)
            assert document == expected, f"{case.name}: {path}, {way} run"
