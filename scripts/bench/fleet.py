"""The fleet group (issue 21): generated fleets of docker-archive files, then
  layerscope fleet scan 200 images on 5 bases                 (cold: fresh cache and database)
  layerscope fleet scan those 200 + 200 more on the same layers (cold; target: < +10% wall)
  layerscope fleet scan of the 200 again, unchanged           (target: < 50 ms an image)
  layerscope fleet scan --cluster, a CPU-bound fleet, one worker then two (target: >= 1.6x)
and the database's bytes per million indexed files (no target: a figure for docs/fleet.md)."""

import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from . import ROOT, WORK, say
from .measure import Row, find, measure

IMAGES, BASES = 200, 5
BASE_FILES, APP_FILES, FILE_BYTES = 6000, 300, 256
CPU_IMAGES, CPU_FILES, CPU_FILE_BYTES = 24, 3_000, 24_000


def _layer(files: list[tuple[str, bytes | None]]) -> bytes:
    """A layer tar: (path, content) files, None content for a whiteout."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = set()
        for path, content in files:
            parent = os.path.dirname(path)
            parts = parent.strip("/").split("/")
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d and d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
            name = path.strip("/") if content is not None else \
                os.path.join(parent.strip("/"), ".wh." + os.path.basename(path))
            data = content or b""
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _archive(path: Path, tag: str, layers: list[bytes], history: list[str], label: str,
             diff_ids: list[str] | None = None) -> None:
    """A docker-archive (legacy layout); `diff_ids` when the layers are stored compressed."""
    diff_ids = diff_ids or ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"Labels": {"fleet": label}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": h, "created": "2024-01-01T00:00:00Z",
                     **({"empty_layer": True} if "CMD" in h else {})} for h in history],
    }).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = [f"{hashlib.sha256(layer).hexdigest()}/layer.tar" for layer in layers]
    manifest = json.dumps([{"Config": config_name, "RepoTags": [tag], "Layers": names}]).encode()
    with tarfile.open(path, "w") as tar:
        for name, data in ((config_name, config), ("manifest.json", manifest), *zip(names, layers)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _content(seed: str) -> bytes:
    return (hashlib.sha256(seed.encode()).hexdigest().encode() * 8)[:FILE_BYTES]


def write_fleet(directory: Path) -> tuple[list[str], list[str]]:
    """(the 200 images on 5 bases, 200 more with the same layers and another label)."""
    directory.mkdir(parents=True, exist_ok=True)
    bases = [_layer([(f"/usr/lib/base{b}/f{n}", _content(f"b{b}-{n}")) for n in range(BASE_FILES)])
             for b in range(BASES)]
    first, second = [], []
    for i in range(IMAGES):
        lists = [(f"/var/lib/apt/lists/l{n}", _content(f"l{i}-{n}")) for n in range(3)]
        layers = [bases[i % BASES],
                  _layer([(f"/app/{i}/f{n}", _content(f"a{i}-{n}")) for n in range(APP_FILES)]),
                  _layer(lists), _layer([(p, None) for p, _ in lists])]
        history = [f"/bin/sh -c #(nop) ADD base{i % BASES} /", '/bin/sh -c #(nop)  CMD ["sh"]',
                   f"/bin/sh -c #(nop) COPY app{i} /app", "/bin/sh -c apt-get update",
                   "/bin/sh -c rm -rf /var/lib/apt/lists/*"]
        for label, out in (("a", first), ("b", second)):
            path = directory / f"{label}{i}.tar"
            _archive(path, f"fleet/{label}{i}:1", layers, history, label)
            out.append(f"docker-archive:{path}")
    return first, second


def write_cpu_fleet(directory: Path) -> list[str]:
    """CPU_IMAGES images of one gzip layer each (CPU_FILES files of CPU_FILE_BYTES), no layer
    shared: inflating and hashing on the workers is the work, the rows the client stores few."""
    import gzip
    import random

    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(21)
    refs = []
    for i in range(CPU_IMAGES):
        # half random, half repeated: gzip halves it, and inflating costs what it costs
        files = [(f"/data/{i}/f{n}", rng.randbytes(CPU_FILE_BYTES // 2) * 2) for n in range(CPU_FILES)]
        layer = _layer(files)
        diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
        path = directory / f"cpu{i}.tar"
        _archive(path, f"fleet/cpu{i}:1", [gzip.compress(layer, 1)],
                 [f"/bin/sh -c #(nop) ADD data{i} /"], "cpu", diff_ids=[diff_id])
        refs.append(f"docker-archive:{path}")
    return refs


def _scan(refs: list[str], db: Path, cache: Path, *extra: str, timeout: float = 1800):
    listing = db.with_suffix(".list")
    listing.write_text("\n".join(refs) + "\n")
    env = dict(os.environ, LAYERSCOPE_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    return measure([sys.executable, "-m", "layerscope", "fleet", "scan", "--from", str(listing),
                    "--db", str(db), "-q", *extra], env=env, timeout=timeout)


def _fresh(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir=WORK))


def bench_fleet(args) -> list[Row]:
    root = _fresh("fleet-")
    try:
        say("fleet: writing the generated fleets")
        first, second = write_fleet(root / "fleet")
        cpu = write_cpu_fleet(root / "cpu")
        one = Row("fleet", f"fleet scan {IMAGES} images on {BASES} bases (cold)")
        both = Row("fleet", f"fleet scan those + {IMAGES} more on the same layers (cold)")
        again = Row("fleet", f"fleet scan of the {IMAGES} again, unchanged")
        kept = None
        for n in range(args.runs):
            for row, refs in ((one, first), (both, first + second)):
                work = _fresh("run-")
                run = _scan(refs, work / "fleet.db", work / "cache")
                row.runs.append(run)
                row.load.append(os.getloadavg()[0])
                say(f"  fleet {row.label:55s} run {n + 1}: {run.wall:7.2f} s exit {run.rc}")
                if row is one and kept is None:
                    kept = work
                else:
                    shutil.rmtree(work, ignore_errors=True)
            run = _scan(first, kept / "fleet.db", kept / "cache")
            again.runs.append(run)
            again.load.append(os.getloadavg()[0])
            say(f"  fleet {again.label:55s} run {n + 1}: {run.wall:7.2f} s exit {run.rc}")
        again.note = _db_note(kept / "fleet.db")
        rows = [one, both, again]
        rows += _cluster_rows(cpu, args)
        return rows
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _db_note(db: Path) -> str:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        files = con.execute("SELECT count(*) FROM layer_files").fetchone()[0]
    size = db.stat().st_size
    return (f"database {size:,} B for {files:,} indexed files: "
            f"{size / files * 1e6 / 1e6:.1f} MB per million files")


def _cluster_rows(refs: list[str], args) -> list[Row]:
    """One worker and two, round-robin (a burst of load hits both alike)."""
    rows = {workers: Row("fleet", f"fleet scan --cluster, {CPU_IMAGES} CPU-bound images, "
                                  f"{workers} worker(s)") for workers in (1, 2)}
    for n in range(args.runs):
        for workers, row in rows.items():
            work = _fresh("cluster-")
            with _cluster(workers, work) as address:
                run = _scan(refs, work / "fleet.db", work / "cache", "--cluster", address,
                            "--no-cache")
            row.runs.append(run)
            row.load.append(os.getloadavg()[0])
            say(f"  fleet {row.label:55s} run {n + 1}: {run.wall:7.2f} s exit {run.rc}")
            shutil.rmtree(work, ignore_errors=True)
    return list(rows.values())


class _cluster:
    """A scheduler and `workers` one-thread workers on loopback, for one measurement."""

    def __init__(self, workers: int, work: Path) -> None:
        self.workers, self.work, self.processes = workers, work, []

    def __enter__(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        address = f"tcp://127.0.0.1:{port}"
        log = open(self.work / "dask.log", "ab")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        start = [sys.executable, "-m"]
        self.processes.append(subprocess.Popen(
            [*start, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--dashboard-address", ":0"], stdout=log, stderr=log, env=env))
        time.sleep(0.5)
        for _ in range(self.workers):
            self.processes.append(subprocess.Popen(
                [*start, "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
                 "--host", "127.0.0.1", "--dashboard-address", ":0"], stdout=log, stderr=log,
                env=env))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(self.workers, timeout=60)
            # workers import layerscope before the clock starts, as a running cluster has
            client.run(lambda: __import__("layerscope.fleet.work") and None)
        return address

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def fleet_targets(rows: list[Row]) -> list[tuple[str, str, str]]:
    """Issue 21's targets."""
    from .measure import verdict

    out = []
    one, both = find(rows, "fleet", "fleet scan 200"), find(rows, "fleet", "fleet scan those")
    again = find(rows, "fleet", "fleet scan of the")
    if one and both and one.wall_median() and both.wall_median():
        extra = both.wall_median() / one.wall_median() - 1
        out.append(("fleet: 200 more images on the same layers add < 10% wall",
                    f"{one.wall_median():.2f} s -> {both.wall_median():.2f} s ({extra:+.0%})",
                    verdict(extra < 0.10)))
    if again and again.wall_median():
        per = again.wall_median() / IMAGES * 1000
        out.append(("fleet: repeat scan of an unchanged fleet < 50 ms an image",
                    f"{per:.1f} ms ({again.note})", verdict(per < 50)))
    w1 = find(rows, "fleet", f"fleet scan --cluster, {CPU_IMAGES} CPU-bound images, 1 worker")
    w2 = find(rows, "fleet", f"fleet scan --cluster, {CPU_IMAGES} CPU-bound images, 2 worker")
    if w1 and w2 and w1.wall_median() and w2.wall_median():
        speedup = w1.wall_median() / w2.wall_median()
        out.append(("fleet: 2 Dask workers >= 1.6x one worker (CPU-bound fleet)",
                    f"{w1.wall_median():.2f} s / {w2.wall_median():.2f} s = {speedup:.2f}x",
                    verdict(speedup >= 1.6)))
    return out
