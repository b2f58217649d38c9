"""The registry group: size:v1 and size:v2 pushed (gzip, by skopeo) to a docker-registry started
on a loopback port for the group, then
  layerscope inspect docker://.../size:v1 --no-cache          (cold: download and analysis)
  skopeo copy docker://.../size:v1 oci:DIR                     (download alone)
  layerscope inspect docker://.../size:v1, cache filled once   (the repeat: manifest and config)
  layerscope diff docker://.../size:v1 docker://.../size:v2 --no-cache  (shared layers once)
with the bytes each layerscope run fetched (LAYERSCOPE_REGISTRY_STATS) next to its wall time.

The registry-toc group: size:v1 in zstd:chunked (skopeo --dest-compress-format zstd:chunked) and
in eStargz (tests/tocformats.py converts the zstd:chunked layout), each pushed to a registry of
its own (skopeo 1.9 drops the zstd:chunked annotations when it reuses blobs the registry already
has), then for each
  layerscope inspect docker://.../size:v1 --no-cache   (from the layers' tables of contents)
  skopeo copy docker://.../size:v1 oci:DIR              (download alone, the same image)
with the bytes fetched and their share of the image's compressed bytes."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import ROOT, VENV_BIN, WORK, say
from .measure import Row, find, measure

FOOTER_PROBE = 51
"""Bytes of the Range request each gzip layer gets for an eStargz footer (layers.toc_estargz)."""


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(root: Path) -> tuple[subprocess.Popen, str]:
    host = f"127.0.0.1:{_port()}"
    (root / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\nhttp:\n  addr: {host}\n")
    process = subprocess.Popen(["docker-registry", "serve", str(root / "config.yml")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", int(host.rsplit(":", 1)[1]))) == 0:
                return process, host
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("docker-registry did not start")


def _fetched(path: Path) -> int:
    """Bytes the run fetched (the sum of its stats lines), and the file emptied."""
    text = path.read_text().split() if path.exists() else []
    path.unlink(missing_ok=True)
    return sum(map(int, text[1::2]))


def _tools() -> bool:
    if shutil.which("docker-registry") and shutil.which("skopeo"):
        return True
    say("registry: docker-registry or skopeo missing (scripts/registry.sh installs them)")
    return False


def _skopeo(*args: str, timeout: float) -> None:
    subprocess.run(["skopeo", "copy", "-q", "--src-daemon-host",
                    os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"),
                    "--dest-tls-verify=false", *args], check=True, timeout=timeout)


def bench_registry(args) -> list[Row]:
    if not _tools():
        return []
    root = Path(tempfile.mkdtemp(prefix="registry-", dir=WORK))
    process, host = _start(root)
    try:
        return _measure(args, root, host)
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def _measure(args, root: Path, host: str) -> list[Row]:
    for tag in ("size:v1", "size:v2"):
        _skopeo(f"docker-daemon:{tag}", f"docker://{host}/{tag}", timeout=args.timeout)
    ls, stats, cache = str(VENV_BIN / "layerscope"), root / "fetched", root / "cache"
    env = dict(os.environ, LAYERSCOPE_REGISTRY_STATS=str(stats), LAYERSCOPE_CACHE_DIR=str(cache))
    v1, v2 = f"docker://{host}/size:v1", f"docker://{host}/size:v2"
    metadata = _metadata(v1)
    once = _each_blob_once(v1, v2)
    layout = root / "oci"
    cold = Row("registry", "layerscope inspect docker://size:v1 --no-cache (cold)")
    copy = Row("registry", "skopeo copy docker://size:v1 oci:DIR")
    warm = Row("registry", "layerscope inspect docker://size:v1 (cached)")
    diff = Row("registry", "layerscope diff docker://size:v1 docker://size:v2 --no-cache")
    measure([ls, "inspect", v1, "--format", "json", "-q"], env=env, timeout=args.timeout)
    _fetched(stats)                                               # the cache is filled once
    commands = [
        (cold, [ls, "inspect", v1, "--format", "json", "-q", "--no-cache"], env),
        (copy, ["skopeo", "copy", "-q", "--src-tls-verify=false", v1, f"oci:{layout}"], None),
        (warm, [ls, "inspect", v1, "--format", "json", "-q"], env),
        (diff, [ls, "diff", v1, v2, "--format", "json", "-q", "--no-cache"], env),
    ]
    for n in range(args.runs):
        for row, command, environment in commands:
            shutil.rmtree(layout, ignore_errors=True)
            row.load.append(os.getloadavg()[0])
            run = measure(command, env=environment, timeout=args.timeout)
            row.runs.append(run)
            fetched = _fetched(stats) if environment is not None else None
            if fetched is not None:
                row.note = f"fetched {fetched:,} B"
                if row is warm:
                    row.note += (" = manifest + config only" if fetched == metadata else
                                 f" (manifest + config are {metadata:,} B: more was fetched)")
                if row is diff:
                    row.note += (" = each blob once" if fetched == once else
                                 f" (each blob once is {once:,} B)")
            say(f"  registry   {row.label:60s} run {n + 1}: {run.wall:7.2f} s exit {run.rc}"
                + (f" fetched {fetched:,} B" if fetched is not None else ""))
    return [cold, copy, warm, diff]


def registry_targets(rows: list[Row]) -> list[tuple[str, str, str]]:
    """Issue 15's targets for gzip layers, from the registry group's rows."""
    cold, copy = find(rows, "registry", "layerscope inspect"), find(rows, "registry", "skopeo")
    warm, diff = find(rows, "registry", "layerscope inspect docker://size:v1 (cached)"), \
        find(rows, "registry", "layerscope diff")
    if not (cold and copy):
        return []
    out = []
    if cold.wall_median() and copy.wall_median():
        r = cold.wall_median() / copy.wall_median()
        out.append(("registry: inspect size:v1 (gzip, cold) <= 1.0 x skopeo copy to oci:",
                    f"{r:.2f}x", "PASS" if r <= 1.0 else "FAIL"))
    if warm:
        out.append(("registry: a cached repeat fetches the manifest and config only",
                    warm.note or "-", "PASS" if "config only" in (warm.note or "") else "FAIL"))
    if diff:
        out.append(("registry: diff v1 v2 fetches each shared layer once", diff.note or "-",
                    "PASS" if (diff.note or "").endswith("= each blob once") else "FAIL"))
    return out


# ------------------------------------------------------------------------- tables of contents

TOC_FORMATS = ("zstd:chunked", "estargz")



def bench_registry_toc(args) -> list[Row]:
    if not _tools():
        return []
    root = Path(tempfile.mkdtemp(prefix="registry-toc-", dir=WORK))
    started = []
    try:
        chunked = root / "chunked-layout"
        _skopeo("--dest-compress-format", "zstd:chunked", "docker-daemon:size:v1",
                f"oci:{chunked}:latest", timeout=args.timeout)
        sys.path.insert(0, str(ROOT))
        from tests.tocformats import estargz_layout

        layouts = {"zstd:chunked": chunked,
                   "estargz": estargz_layout(chunked, root / "estargz-layout")}
        hosts = {}
        for form in TOC_FORMATS:
            (root / form).mkdir()
            process, hosts[form] = _start(root / form)
            started.append(process)
            _skopeo(f"oci:{layouts[form]}:latest", f"docker://{hosts[form]}/size:v1",
                    timeout=args.timeout)
        return _measure_toc(args, root, hosts)
    finally:
        for process in started:
            process.terminate()
            process.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def _manifest(reference: str) -> bytes:
    """The image's manifest as the registry serves it (read by skopeo, not layerscope)."""
    return subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", reference],
                          check=True, capture_output=True, timeout=60).stdout


def _metadata(reference: str) -> int:
    """Bytes of the image's manifest and config: all a cached repeat should fetch."""
    raw = _manifest(reference)
    return len(raw) + json.loads(raw)["config"]["size"]


def _each_blob_once(*references: str) -> int:
    """Bytes a diff of the images fetches when it fetches each distinct layer blob once (and
    its 51-byte eStargz footer probe), plus each image's manifest and config."""
    blobs = {}
    for reference in references:
        blobs.update((layer["digest"], layer["size"])
                     for layer in json.loads(_manifest(reference))["layers"])
    return sum(size + FOOTER_PROBE for size in blobs.values()) + sum(map(_metadata, references))


def _compressed(reference: str) -> int:
    """The image's compressed bytes: the sum of its manifest's layer sizes."""
    return sum(layer["size"] for layer in json.loads(_manifest(reference))["layers"])


def _measure_toc(args, root: Path, hosts: dict) -> list[Row]:
    ls, stats = str(VENV_BIN / "layerscope"), root / "fetched"
    env = dict(os.environ, LAYERSCOPE_REGISTRY_STATS=str(stats))
    layout = root / "oci"
    commands, rows = [], []
    for form in TOC_FORMATS:
        reference = f"docker://{hosts[form]}/size:v1"
        compressed = _compressed(reference)
        inspect = Row("registry-toc", f"layerscope inspect docker://size:v1 --no-cache ({form})")
        copy = Row("registry-toc", f"skopeo copy docker://size:v1 oci:DIR ({form})")
        inspect.note = f"of {compressed:,} B compressed"
        commands += [(inspect, [ls, "inspect", reference, "--format", "json", "-q", "--no-cache"],
                      env, compressed),
                     (copy, ["skopeo", "copy", "-q", "--src-tls-verify=false", reference,
                             f"oci:{layout}"], None, compressed)]
        rows += [inspect, copy]
    for n in range(args.runs):
        for row, command, environment, compressed in commands:
            shutil.rmtree(layout, ignore_errors=True)
            row.load.append(os.getloadavg()[0])
            run = measure(command, env=environment, timeout=args.timeout)
            row.runs.append(run)
            line = f"  registry-toc {row.label:60s} run {n + 1}: {run.wall:7.2f} s exit {run.rc}"
            if environment is not None:
                fetched = _fetched(stats)
                row.note = f"fetched {fetched:,} B = {100 * fetched / compressed:.2f}% of " \
                           f"{compressed:,} B compressed"
                line += f" fetched {fetched:,} B"
            say(line)
    return rows


def registry_toc_targets(rows: list[Row]) -> list[tuple[str, str, str]]:
    """Issue 15's targets for layers read from their tables of contents."""
    out = []
    for form in TOC_FORMATS:
        inspect = find(rows, "registry-toc", f"layerscope inspect docker://size:v1 --no-cache ({form})")
        copy = find(rows, "registry-toc", f"skopeo copy docker://size:v1 oci:DIR ({form})")
        if not (inspect and copy and inspect.wall_median() and copy.wall_median()):
            continue
        share = inspect.note.split("= ", 1)[1].split("%", 1)[0] if "= " in (inspect.note or "") \
            else None
        if share is not None:
            out.append((f"registry: {form} size:v1 bytes fetched <= 5% of compressed",
                        f"{share}%", "PASS" if float(share) <= 5 else "FAIL"))
        r = inspect.wall_median() / copy.wall_median()
        out.append((f"registry: {form} size:v1 inspect (cold) <= 0.2 x skopeo copy to oci:",
                    f"{r:.2f}x", "PASS" if r <= 0.2 else "FAIL"))
    return out
