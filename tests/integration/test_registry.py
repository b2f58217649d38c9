"""docker:// against real registries (Debian's docker-registry 2.8, images pushed by skopeo):
the same report as the engine's, shared and cached layers not fetched again, every kind of
credentials, TLS, and each fault one error line, exit 2, nothing cached."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import requests

from layerscope.layers.toc_estargz import FOOTER_SIZE
from layerscope.sources import registry_http
from tests.inprocess import run_main
from tests.integration.registries import (
    PASSWORD,
    SERVICE,
    USER,
    Registry,
    TokenIssuer,
    certificate,
    htpasswd,
    manifest,
    push,
)
from tests.integration.registry_faults import FaultProxy

pytestmark = pytest.mark.engine

STORY = ("size:v1", "size:v2", "size:v3", "size:v4")
FORMS = {"gzip": STORY + ("size:latest",), "zstd": ("size:v1", "size:v4"),
         "none": ("size:v4", "size:latest")}
"""What each registry holds: every story image in gzip, some in zstd and uncompressed (each
form in its own registry, so skopeo cannot reuse another form's blobs)."""


@pytest.fixture(scope="module")
def registries(client, tmp_path_factory):
    root = tmp_path_factory.mktemp("registries")
    started = {}
    try:
        for form, tags in FORMS.items():
            started[form] = Registry(root / form)
            for tag in tags:
                push(tag, started[form], tag, form)
        yield started
    finally:
        for registry in started.values():
            registry.stop()


def comparable(report: bytes, converted: bool = False) -> tuple[dict, list]:
    """The report without the fields that name the source, and each layer's (compressed size,
    media type). skopeo writes zstd and uncompressed images with an OCI config (the same
    history and layers, other bytes), so their image ID is the registry's own."""
    document = json.loads(report)
    for key in ("ref", "repo_tags") + (("id",) if converted else ()):
        del document["image"][key]
    shown = [(layer.pop("compressed_size"), layer.pop("media_type")) for layer in document["layers"]]
    return document, shown


def stats(path: Path) -> tuple[int, int]:
    """(requests, bytes) a run fetched, from the LAYERSCOPE_REGISTRY_STATS file."""
    lines = path.read_text().split() if path.exists() else []
    path.unlink(missing_ok=True)
    return sum(map(int, lines[0::2])), sum(map(int, lines[1::2]))


@pytest.fixture
def counted(tmp_path, monkeypatch):
    path = tmp_path / "fetched"
    monkeypatch.setenv("LAYERSCOPE_REGISTRY_STATS", str(path))
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    return path


@pytest.mark.parametrize(("form", "tag"), [(f, t) for f, tags in FORMS.items() for t in tags])
def test_the_registry_report_is_the_engines(form, tag, registries, tmp_path, monkeypatch,
                                            counted):
    registry = registries[form]
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "engine-cache"))
    code, engine = run_main("inspect", tag, "--format", "json")
    assert code == 0
    expected, _ = comparable(engine, converted=form != "gzip")
    served = manifest(registry, *tag.split(":"))
    layers = [(layer["size"], layer["mediaType"]) for layer in served["layers"]]
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    for args in (("--no-cache",), (), ()):  # cold, first with a cache, served from it
        code, report = run_main("inspect", registry.ref(tag), "--format", "json", *args)
        assert code == 0
        document, shown = comparable(report, converted=form != "gzip")
        assert document == expected, (form, tag, args)
        assert shown == layers
    if form == "gzip":
        assert json.loads(report)["image"]["id"] == json.loads(engine)["image"]["id"]


def _metadata_bytes(registry: Registry, tag: str) -> int:
    """Bytes of an image's manifest and config as the registry serves them."""
    name, reference = tag.split(":")
    accept = ("application/vnd.oci.image.manifest.v1+json, "
              "application/vnd.docker.distribution.manifest.v2+json")
    reply = requests.get(f"http://{registry.host}/v2/{name}/manifests/{reference}",
                         headers={"Accept": accept}, timeout=30)
    return len(reply.content) + reply.json()["config"]["size"]


def test_diff_fetches_each_shared_layer_once_and_a_repeat_only_metadata(registries, counted):
    registry = registries["gzip"]
    a, b = manifest(registry, "size", "v1"), manifest(registry, "size", "v2")
    blobs = {layer["digest"]: layer["size"] for layer in a["layers"] + b["layers"]}
    assert len(blobs) < len(a["layers"]) + len(b["layers"])  # they share a base
    metadata = _metadata_bytes(registry, "size:v1") + _metadata_bytes(registry, "size:v2")
    code, _ = run_main("diff", registry.ref("size:v1"), registry.ref("size:v2"), "--no-cache")
    assert code == 0
    # each gzip layer also has its last bytes read, to look for an eStargz footer (a TOC)
    assert stats(counted)[1] == sum(blobs.values()) + FOOTER_SIZE * len(blobs) + metadata
    # a first inspect with the cache fetches every layer; the repeat the manifest and config
    assert run_main("inspect", registry.ref("size:v4"))[0] == 0
    v4 = manifest(registry, "size", "v4")
    only = _metadata_bytes(registry, "size:v4")
    assert stats(counted)[1] == sum(layer["size"] + FOOTER_SIZE for layer in v4["layers"]) + only
    assert run_main("inspect", registry.ref("size:v4"))[0] == 0
    assert stats(counted)[1] == only
    # cached layers are not fetched for another image either: v3 shares v1's base and steps
    assert run_main("inspect", registry.ref("size:v1"), "-q")[0] == 0
    stats(counted)
    v1_blobs = {layer["digest"] for layer in a["layers"]}
    v3 = manifest(registry, "size", "v3")
    new = sum(layer["size"] + FOOTER_SIZE for layer in v3["layers"] if layer["digest"] not in v1_blobs)
    assert run_main("inspect", registry.ref("size:v3"), "-q")[0] == 0
    assert stats(counted)[1] == new + _metadata_bytes(registry, "size:v3")


def test_check_baseline_advise_and_base_read_the_registry(registries, counted):
    registry = registries["gzip"]
    engine = run_main("check", "size:v2", "--max-growth", "1%", "--baseline", "size:v1")
    remote = run_main("check", registry.ref("size:v2"), "--max-growth", "1%", "--baseline",
                      registry.ref("size:v1"))
    assert engine[0] == remote[0] == 0
    engine = run_main("advise", "size:v2", "--base", "size:v1", "--format", "json")
    remote = run_main("advise", registry.ref("size:v2"), "--base", registry.ref("size:v1"),
                      "--format", "json")
    assert remote[0] == engine[0] == 0
    drop = ("image", "ref")
    left, right = json.loads(engine[1]), json.loads(remote[1])
    for document in (left, right):
        document.pop(drop[0], None)
        document.pop(drop[1], None)
    assert left == right


# ------------------------------------------------------------------------------ credentials

@pytest.fixture(scope="module")
def secured(client, tmp_path_factory):
    """A TLS registry with htpasswd Basic auth, its CA in a --cert-dir of its own."""
    root = tmp_path_factory.mktemp("secured")
    cert, key = certificate(root / "tls")
    certs = root / "certs"
    certs.mkdir()
    (certs / "ca.crt").write_bytes(cert.read_bytes())
    extra = (f"  tls:\n    certificate: {cert}\n    key: {key}\n"
             f"auth:\n  htpasswd:\n    realm: layerscope-test\n    path: {htpasswd(root / 'htpasswd')}\n")
    registry = Registry(root / "registry", extra, scheme="https")
    push("size:latest", registry, "size:latest", extra=("--dest-creds", f"{USER}:{PASSWORD}"))
    yield registry, certs
    registry.stop()


def _inspect(reference: str, *args: str, capsys) -> tuple[int, bytes, str]:
    code, out = run_main("inspect", reference, "--no-cache", *args)
    return code, out, capsys.readouterr().err


def _helper(directory: Path, answer: str) -> None:
    """A docker-credential-test program on PATH that answers `get` with `answer`."""
    script = directory / "docker-credential-test"
    script.write_text(f"#!/bin/sh\nread server\necho '{answer}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_basic_auth_over_tls_from_every_source_of_credentials(secured, tmp_path, monkeypatch,
                                                              capsys):
    registry, certs = secured
    ref = registry.ref("size:latest")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "none"))
    outputs = []
    good = _inspect(ref, "--cert-dir", str(certs), "--creds", f"{USER}:{PASSWORD}", capsys=capsys)
    assert good[0] == 0, good[2]
    outputs.append(good)
    monkeypatch.setenv("LAYERSCOPE_REGISTRY_CREDS", f"{USER}:{PASSWORD}")
    outputs.append(_inspect(ref, "--tls-verify=false", capsys=capsys))
    monkeypatch.delenv("LAYERSCOPE_REGISTRY_CREDS")
    config = tmp_path / "docker"
    config.mkdir()
    auth = __import__("base64").b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {f"https://{registry.host}": {
        "auth": auth}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    outputs.append(_inspect(ref, "--cert-dir", str(certs), capsys=capsys))
    _helper(tmp_path, json.dumps({"Username": USER, "Secret": PASSWORD}))
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    (config / "config.json").write_text(json.dumps({"credHelpers": {registry.host: "test"}}))
    outputs.append(_inspect(ref, "--cert-dir", str(certs), capsys=capsys))
    for code, out, err in outputs:
        assert (code, err) == (0, "")
        assert out == good[1]
    cache = Path(os.environ["LAYERSCOPE_CACHE_DIR"]) if "LAYERSCOPE_CACHE_DIR" in os.environ \
        else None
    if cache is not None and cache.exists():
        for path in cache.rglob("*"):
            assert not path.is_file() or PASSWORD.encode() not in path.read_bytes()


def test_refusals_name_the_registry_and_the_credentials_never_their_values(secured, tmp_path,
                                                                           monkeypatch, capsys):
    registry, certs = secured
    ref = registry.ref("size:latest")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    code, out, err = _inspect(ref, "--cert-dir", str(certs), "--creds", f"{USER}:wrong-{PASSWORD}",
                              capsys=capsys)
    assert (code, out) == (2, b"")
    assert err.splitlines()[0] == (
        f"layerscope: error: registry {registry.host} did not accept the authentication for size "
        "(401); tried the credentials from --creds")
    assert PASSWORD not in err and USER not in err
    code, out, err = _inspect(ref, "--cert-dir", str(certs), capsys=capsys)
    assert code == 2
    assert err.splitlines()[0].endswith("tried no credentials (none given or found: --creds, "
                                        "$LAYERSCOPE_REGISTRY_CREDS, docker login)")
    code, out, err = _inspect(ref, "--creds", f"{USER}:{PASSWORD}", capsys=capsys)
    assert code == 2
    assert err.splitlines() == [
        f"layerscope: error: cannot reach registry {registry.host}: certificate verify failed",
        "hint: trust its CA with --cert-dir DIR, or (at your own risk) --tls-verify=false"]


def test_token_auth_asks_the_realm_for_the_repositorys_pull_scope(client, tmp_path, monkeypatch,
                                                                 capsys):
    issuer = TokenIssuer(tmp_path / "issuer")
    registry = Registry(tmp_path / "registry", issuer.config())
    try:
        push("size:latest", registry, "size:latest", extra=("--dest-creds", f"{USER}:{PASSWORD}"))
        issuer.requests.clear()
        monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
        code, out, err = _inspect(registry.ref("size:latest"), "--creds", f"{USER}:{PASSWORD}",
                                  capsys=capsys)
        assert (code, err) == (0, "")
        assert b"127.0.0.1" in out
        assert issuer.requests == [{"query": {"scope": ["repository:size:pull"],
                                              "service": [SERVICE]}, "basic": True}]
        code, out, err = _inspect(registry.ref("size:latest"), capsys=capsys)
        assert code == 2
        assert err.splitlines()[0] == (
            f"layerscope: error: the token service of registry {registry.host} refused no "
            "credentials (none given or found: --creds, $LAYERSCOPE_REGISTRY_CREDS, docker "
            "login) (401)")
    finally:
        registry.stop()
        issuer.stop()


# ----------------------------------------------------------------------------------- faults

FAULTS = {
    "401": "registry {host} did not accept the authentication for size (401); tried no "
           "credentials",
    "403": "registry {host} refused access to size (403); tried no credentials",
    "404-manifest": "registry {host} has no manifest latest in size (404)",
    "404-blob": "registry {host} has no blob {blob} in size (404)",
    "429": "registry {host} answered 429 for {blob}, also after 4 retries",
    "503": "registry {host} answered 503 for {blob}, also after 4 retries",
    "truncated": "blob {blob} from {host} is truncated: {half} of {size} bytes",
    "wrong-digest": "blob {blob} from {host} does not match its digest: its bytes are sha256:",
    "redirect-loop": "registry {host} redirects in a loop (or more than 5 times) for /loop",
    "stall": "blob {blob} from {host}: the connection failed 5 times (read timed out) at byte 0",
    "oversized-manifest": "the manifest {host}/size:latest is 17825792 bytes, more than the "
                          "16 MiB allowed for metadata",
    "schema1": "{host}/size:latest has a Docker schema 1 manifest, which layerscope does not read",
    "unknown-media-type": "{host}/size:latest: unsupported layer media type "
                          "'application/vnd.oci.image.layer.v1.tar+lz4'",
}


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_one_error_line_and_nothing_is_cached(fault, registries, tmp_path,
                                                            monkeypatch, capsys):
    monkeypatch.setattr(registry_http, "BACKOFF", 0.01)
    monkeypatch.setattr(registry_http, "TIMEOUT", (5.0, 0.5))
    monkeypatch.setenv("LAYERSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    upstream = registries["gzip"]
    served = manifest(upstream, "size", "latest")
    largest = max(served["layers"], key=lambda layer: layer["size"])
    proxy = FaultProxy(upstream.host, fault, largest["digest"])
    try:
        code, out = run_main("inspect", f"docker://{proxy.host}/size:latest")
    finally:
        proxy.stop()
    err = capsys.readouterr().err
    expected = FAULTS[fault].format(host=proxy.host, blob=largest["digest"],
                                    size=largest["size"], half=largest["size"] // 2)
    assert (code, out) == (2, b""), err
    assert err.startswith(f"layerscope: error: {expected}"), err
    assert len(err.splitlines()) <= 2 and "Traceback" not in err
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert [p for p in cached if p.parent.name.startswith(("layers", "configs", "reports"))] == []


class CountingProxy(FaultProxy):
    """A pass-through proxy in front of a real registry that notes each GET: (path, Range)."""

    def __init__(self, upstream: str) -> None:
        self.seen: list[tuple[str, str | None]] = []
        super().__init__(upstream, "none", "-")

    def handle(self, request) -> None:
        self.seen.append((request.path, request.headers.get("Range")))
        super().handle(request)

    def taken(self) -> list[tuple[str, str | None]]:
        seen, self.seen = self.seen, []
        return seen


def test_diff_fetches_each_blob_once_across_both_images_and_a_repeat_only_metadata(
        registries, counted, monkeypatch):
    """Counted at the wire: size:v1 and size:v2 share their base layers (the manifests say
    which, read here with requests); `diff` of the two with no cache GETs every layer blob of
    either image whole exactly once (besides one Range request for its last bytes, the eStargz
    footer probe), the shared ones included. A repeat inspect with a cache GETs /v2/, the
    manifest and the config blob only."""
    upstream = registries["gzip"]
    a, b = manifest(upstream, "size", "v1"), manifest(upstream, "size", "v2")
    shared = {layer["digest"] for layer in a["layers"]} & {layer["digest"] for layer in b["layers"]}
    union = {layer["digest"] for layer in a["layers"] + b["layers"]}
    assert shared and len(union) > len(shared)
    proxy = CountingProxy(upstream.host)
    try:
        v1, v2 = f"docker://{proxy.host}/size:v1", f"docker://{proxy.host}/size:v2"
        assert run_main("diff", v1, v2, "--no-cache", "--format", "json")[0] == 0
        whole = [path.rsplit("/", 1)[1] for path, span in proxy.taken()
                 if "/blobs/" in path and span is None]
        layers = sorted(digest for digest in whole if digest in union)
        assert layers == sorted(union)  # each once: shared, v1's own and v2's own
        assert run_main("inspect", v1, "-q")[0] == 0  # fills the cache
        proxy.taken()
        assert run_main("inspect", v1, "-q")[0] == 0
        repeat = proxy.taken()
        assert sorted(path for path, _ in repeat) == sorted(
            ["/v2/", "/v2/size/manifests/v1", f"/v2/size/blobs/{a['config']['digest']}"])
    finally:
        proxy.stop()
