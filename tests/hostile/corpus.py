"""The hostile-input corpus: every case is built by code, with the exit code and message it gets.

Each case builds its input under a directory and returns the image reference to inspect. The
expected message is a regular expression matched against the text after ``layerscope: error: ``
(for exit 0 cases it is None). Every exit 0 case states the image size, visible and wasted bytes
the report must show, derived by hand in its docstring from the bytes the case writes (never
copied from layerscope's output). Tests run every case through the real command line.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.hostile import tarbytes as tb
from tests.imagebuilder import ImageSpec, Step, file, write_docker_archive, write_oci_layout

Build = Callable[[Path], str]


@dataclass(frozen=True)
class Case:
    """One hostile or broken input and what layerscope must answer."""

    name: str
    group: str
    build: Build
    exit_code: int
    message: str | None
    """Regex for the error line after "layerscope: error: "; None when exit 0."""
    args: tuple[str, ...] = ()
    hint: str | None = None
    """Regex the hint line must match, when the case promises one."""
    heavy: bool = False
    """Run under a memory ceiling (bombs, deep trees)."""
    figures: tuple[int, int, int] | None = None
    """(size, visible, wasted) bytes of an exit 0 case, derived in the build's docstring."""
    warnings: tuple[str, ...] = ()
    """The kinds of the report's warnings, in order (docs/schema/inspect-v1.md)."""


CASES: list[Case] = []


def case(group: str, exit_code: int, message: str | None, *, args=(), hint=None, heavy=False,
         name: str | None = None, figures=None, warnings=()):
    def register(build: Build) -> Build:
        CASES.append(Case(name or build.__name__.replace("_", "-"), group, build, exit_code,
                          message, tuple(args), hint, heavy, figures, tuple(warnings)))
        return build
    return register


def good_layer(*extra: bytes) -> bytes:
    return tb.layer(tb.header("etc/", type_flag=b"5", mode=0o755),
                    tb.member("etc/hostname", b"box\n"), *extra)


def archive(tmp: Path, layers: list[bytes], **kwargs) -> str:
    return tb.write(tmp / "image.tar", tb.docker_archive(layers, **kwargs))


SPEC = ImageSpec((Step("COPY a /a", (file("/a", "a" * 100),)),
                  Step("RUN echo b > /b", (file("/b", "b" * 50),))))


# ------------------------------------------------------------------ archive


@case("archive", 2, r"\S+/image\.tar is not a tar archive \(empty file\)$")
def empty_file(tmp):
    return tb.write(tmp / "image.tar", b"")


@case("archive", 2, r"\S+/image\.tar is not a tar archive", hint="docker save")
def not_a_tar(tmp):
    return tb.write(tmp / "image.tar", b"\x00garbage\xff" * 300)


@case("archive", 2, r"\S+/image\.tar is truncated")
def truncated_in_header(tmp):
    data = Path(write_docker_archive(SPEC, tmp / "full.tar")).read_bytes()
    (tmp / "full.tar").unlink()
    cut = data.index(b"ustar", 2048) - 257 + 100  # the middle of a later header
    return tb.write(tmp / "image.tar", data[:cut])


@case("archive", 2, r"(\S+/image\.tar is truncated|layer \d+ \(\S+\): layer tar is truncated)")
def truncated_in_member(tmp):
    layers = [good_layer(tb.member("big", b"x" * 40000))]
    data = tb.docker_archive(layers)
    start = data.index(b"x" * 1000)
    return tb.write(tmp / "image.tar", data[:start + 20000])


@case("archive", 2, r"\S+/image\.tar\.gz: gzip stream is truncated$")
def truncated_compressed_archive(tmp):
    data = gzip.compress(tb.docker_archive([good_layer(tb.member("r", bytes(range(256)) * 200))]))
    return tb.write(tmp / "image.tar.gz", data[:len(data) // 2])


@case("archive", 2, r"\S+ is not an image archive: it has neither manifest\.json nor index\.json",
      hint="docker save")
def wrong_kind_of_tar(tmp):
    return tb.write(tmp / "image.tar", tb.tar_of({"README": b"hello\n", "src/main.c": b"int x;"}))


@case("archive", 2, r"image config config\.json is missing from the archive$")
def manifest_names_missing_config(tmp):
    data = tb.tar_of({"manifest.json": json.dumps([{"Config": "config.json",
                                                     "Layers": ["layer0/layer.tar"]}]).encode(),
                      "layer0/layer.tar": good_layer()})
    return tb.write(tmp / "image.tar", data)


@case("archive", 2, r"layer layer9/layer\.tar is missing from the archive$")
def manifest_names_missing_layer(tmp):
    return archive(tmp, [good_layer()], manifest=[
        {"Config": "config.json", "Layers": ["layer9/layer.tar"]}])


@case("archive", 2, r"manifest manifest\.json is not valid JSON")
def malformed_manifest_json(tmp):
    return archive(tmp, [good_layer()], manifest=b'[{"Config": "config.json", "Lay')


@case("archive", 2, r"manifest\.json is malformed: ")
def manifest_of_the_wrong_shape(tmp):
    return archive(tmp, [good_layer()], manifest=[{"Config": 7, "Layers": "layer0/layer.tar"}])


@case("archive", 2, r"manifest\.json is malformed: ")
def manifest_entries_are_not_objects(tmp):
    return archive(tmp, [good_layer()], manifest=["config.json", ["layer0/layer.tar"]])


@case("archive", 2, r"manifest manifest\.json is \d+ bytes, more than the 16 MiB allowed",
      hint="metadata")
def huge_manifest_json(tmp):
    entry = {"Config": "config.json", "Layers": ["layer0/layer.tar"], "RepoTags": ["x" * 1000]}
    manifest = [entry] + [{"padding": "y" * 1000}] * 17_000
    return archive(tmp, [good_layer()], manifest=manifest)


@case("archive", 2, r"manifest manifest\.json is nested too deeply")
def deeply_nested_manifest_json(tmp):
    return archive(tmp, [good_layer()], manifest=b"[" * 200_000 + b"]" * 200_000)


@case("archive", 2, r"image config is nested too deeply")
def deeply_nested_config_json(tmp):
    return archive(tmp, [good_layer()], config=b'{"a":' * 100_000 + b"1" + b"}" * 100_000)


@case("archive", 2, r"image config is not a JSON object$")
def config_is_not_an_object(tmp):
    return archive(tmp, [good_layer()], config=b'["rootfs"]')


@case("archive", 2, r"image config is malformed: ")
def config_fields_of_the_wrong_type(tmp):
    layers = [good_layer()]
    return archive(tmp, layers, config=tb.config_for(layers, rootfs="layers", history="none"))


@case("archive", 2, r"image config lists 2 layers \(diff_ids\) but the manifest has 1$")
def diff_ids_count_disagrees(tmp):
    layers = [good_layer()]
    config = tb.config_for(layers)
    config["rootfs"]["diff_ids"].append(config["rootfs"]["diff_ids"][0])
    return archive(tmp, layers, config=config)


@case("archive", 0, None, figures=(4, 4, 0))
def history_longer_than_layers(tmp):
    """good_layer: /etc (a directory, 0) and /etc/hostname "box\n" (4): size 4, all visible."""
    layers = [good_layer()]
    return archive(tmp, layers, config=tb.config_for(
        layers, [{"created_by": f"RUN {i}"} for i in range(5)]))


@case("archive", 0, None, figures=(5, 5, 0))
def history_shorter_than_layers(tmp):
    """/etc/hostname (4) and, one layer up, /x "x" (1): size 5, all visible."""
    layers = [good_layer(), tb.layer(tb.member("x", b"x"))]
    return archive(tmp, layers, config=tb.config_for(layers, []))


@case("archive", 0, None, figures=(4, 4, 0))
def history_entries_of_the_wrong_type(tmp):
    """good_layer alone: /etc/hostname's 4 bytes, visible."""
    layers = [good_layer()]
    return archive(tmp, layers, config=tb.config_for(
        layers, [7, None, {"created_by": ["RUN"], "empty_layer": "yes"}]))


@case("archive", 2, r"archive member \S+ is part of a symlink loop")
def archive_symlink_loop(tmp):
    data = tb.tar_of({"manifest.json": json.dumps([{"Config": "config.json",
                                                     "Layers": ["a/layer.tar"]}]).encode()},
                     symlinks={"config.json": "loop.json", "loop.json": "config.json"})
    return tb.write(tmp / "image.tar", data)


@case("archive", 2, r"image config \S+ is missing from the archive")
def archive_symlink_out_of_the_archive(tmp):
    data = tb.tar_of({"manifest.json": json.dumps([{"Config": "config.json",
                                                     "Layers": []}]).encode()},
                     symlinks={"config.json": "../../../../etc/passwd"})
    return tb.write(tmp / "image.tar", data)


# ------------------------------------------------------------------ layers


def _corrupt(blob: bytes) -> bytes:
    return blob[:30] + bytes(60) + blob[90:]


@case("layers", 2, r"layer layer0/layer\.tar: corrupt gzip layer data|layer 0 \(layer0/layer\.tar\)"
      r": corrupt gzip layer data")
def corrupt_gzip_layer(tmp):
    layers = [good_layer(tb.member("data", bytes(range(256)) * 64))]
    return archive(tmp, layers, blobs=[_corrupt(tb.compress(layers[0], "gzip"))])


@case("layers", 2, r"layer 0 \(layer0/layer\.tar\): corrupt zstd layer data")
def corrupt_zstd_layer(tmp):
    layers = [good_layer(tb.member("data", bytes(range(256)) * 64))]
    blob = tb.compress(layers[0], "zstd")
    return archive(tmp, layers, blobs=[blob[:4] + b"\xff" * 8 + blob[12:]])


@case("layers", 2, r"layer 0 \(layer0/layer\.tar\): layer tar is unreadable: no valid tar header")
def zstd_layer_that_decodes_to_garbage(tmp):  # zstd frames carry no checksum by default
    layers = [good_layer(tb.member("data", bytes(range(256)) * 64))]
    return archive(tmp, layers, blobs=[_corrupt(tb.compress(layers[0], "zstd"))])


@case("layers", 2, r"layer 0 \(layer0/layer\.tar\): gzip layer stream is truncated")
def truncated_gzip_layer(tmp):
    layers = [good_layer(tb.member("data", bytes(range(256)) * 64))]
    blob = tb.compress(layers[0], "gzip")
    return archive(tmp, layers, blobs=[blob[:len(blob) // 2]])


@case("layers", 2, r"layer 0 \(layer0/layer\.tar\): zstd layer stream is truncated")
def truncated_zstd_layer(tmp):
    layers = [good_layer(tb.member("data", bytes(range(256)) * 64))]
    blob = tb.compress(layers[0], "zstd")
    return archive(tmp, layers, blobs=[blob[:len(blob) // 2]])


BOMB_CHUNK = 64 << 20


def _bomb_layer() -> tuple[bytes, bytes]:
    """A layer tar with one 1.25 GiB file of zeros, as 20 concatenated gzip members; the raw tar
    is never built (its diff ID comes from hashing the same bytes in pieces)."""
    import hashlib

    size = 20 * BOMB_CHUNK
    head = tb.header("zeros", size=size)
    digest = hashlib.sha256(head)
    zeros = bytes(BOMB_CHUNK)
    for _ in range(20):
        digest.update(zeros)
    digest.update(tb.END)
    piece = gzip.compress(zeros, compresslevel=9, mtime=0)
    blob = gzip.compress(head, mtime=0) + piece * 20 + gzip.compress(tb.END, mtime=0)
    return blob, "sha256:" + digest.hexdigest()


def _bomb_archive(tmp: Path) -> str:
    blob, diff_id = _bomb_layer()
    config = {"architecture": "amd64", "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": [diff_id]}, "history": []}
    return tb.write(tmp / "image.tar", tb.tar_of({
        "manifest.json": json.dumps([{"Config": "config.json",
                                      "Layers": ["layer0/layer.tar"]}]).encode(),
        "config.json": json.dumps(config).encode(), "layer0/layer.tar": blob}))


@case("layers", 2, r"layer 0 \(layer0/layer\.tar\): decompresses to more than \S+ bytes, over "
      r"100 times its \S+ compressed bytes", hint=r"--max-ratio", heavy=True)
def decompression_bomb(tmp):
    return _bomb_archive(tmp)


@case("layers", 2, r"layer 0 \(sha256:[0-9a-f]{64}\): its content digest is sha256:[0-9a-f]{64}, "
      r"the config's diff_id is sha256:[0-9a-f]{64}", args=("--verify",))
def verify_digest_mismatch(tmp):
    layers = [good_layer()]
    config = tb.config_for(layers)
    config["rootfs"]["diff_ids"] = [tb.sha(b"something else")]
    return archive(tmp, layers, config=config)


@case("layers", 2, r"layer 1 \(sha256:[0-9a-f]{64}\): its content digest is", args=("--verify",))
def verify_digest_mismatch_in_a_gzip_oci_layout(tmp):
    root = write_oci_layout(SPEC, tmp / "layout", compression="gzip")
    _rewrite_config(root, lambda c: c["rootfs"]["diff_ids"].__setitem__(1, tb.sha(b"x")))
    return f"oci:{root}"


@case("layers", 0, None, args=("--verify",), figures=(150, 150, 0))
def verify_passes_on_a_good_zstd_layout(tmp):
    """SPEC: /a (100 bytes) and /b (50) at two paths: size 150, all visible."""
    return f"oci:{write_oci_layout(SPEC, tmp / 'layout', compression='zstd')}"


@case("layers", 2, r"layer 0 \(layer0/layer\.tar\): the blob is not a tar, gzip or zstd stream")
def layer_that_is_not_a_tar(tmp):
    return archive(tmp, [b"hello" * 200])


# ------------------------------------------------------------------ members


def member_case(exit_code: int, message: str | None, **kwargs):
    """A one-layer archive whose layer is made of the members the function returns (the build
    keeps the function's name and docstring, and the function as __wrapped__)."""
    def register(make):
        @functools.wraps(make)
        def build(tmp):
            return archive(tmp, [tb.layer(*make())])
        return case("members", exit_code, message, **kwargs)(build)
    return register


@member_case(0, None, figures=(12, 12, 0))
def absolute_member_paths():
    """/etc/passwd "root:x:0:0\n" (11) and /usr/bin/x "x" (1): size 12, both visible."""
    return [tb.member("/etc/passwd", b"root:x:0:0\n"), tb.member("//usr///bin/x", b"x")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): member '\.\./\.\./etc/passwd' escapes the image "
             r"root")
def dotdot_member_paths():
    return [tb.member("../../etc/passwd", b"root:x:0:0\n")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): member 'a/\.\./\.\./b' escapes the image root")
def dotdot_in_the_middle():
    return [tb.member("a/../../b", b"b")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): hard link 'l' points at '\.\./\.\./etc/shadow', "
             r"outside the image root|layer 0 \(layer0/layer\.tar\): member '\.\./\.\./etc/shadow' "
             r"escapes the image root")
def hard_link_out_of_the_root():
    return [tb.header("l", type_flag=b"1", link="../../etc/shadow")]


@member_case(0, None, figures=(15, 5, 10), warnings=("duplicate-member",))
def names_that_normalise_to_one_path():
    """Five members at /a/b of 1, 2, 3, 4 and 5 bytes: size 15; the last (5) is visible, the
    other four (1 + 2 + 3 + 4 = 10) are dead; one layer with several members at one path is
    one Docker refuses, so the report warns."""
    return [tb.member("a/b", b"1"), tb.member("./a/b", b"22"), tb.member("a//b", b"333"),
            tb.member("a/./b/", b"4444"), tb.member("a/c/../b", b"55555")]


@member_case(0, None, figures=(10, 10, 0))
def names_that_are_not_utf8():
    """caf\xe9 "latin-1" (7), \xff\xfe/\x80 "x" (1) and a symlink to the two bytes \xe9\xe9
    (2): size 10, all visible."""
    return [tb.member(b"caf\xe9", b"latin-1"), tb.member(b"\xff\xfe/\x80", b"x"),
            tb.header(b"link\xc3", type_flag=b"2", link=b"\xe9\xe9")]


@case("members", 0, None, args=("--format", "text"), name="names-that-are-not-utf8-as-text",
      figures=(7, 0, 7))
def names_that_are_not_utf8_as_text(tmp):
    """caf\xe9 "latin-1" (7), removed by the next layer's .wh.caf\xe9: size 7, all dead."""
    return archive(tmp, [tb.layer(tb.member(b"caf\xe9", b"latin-1")),
                         tb.layer(tb.member(b".wh.caf\xe9"))])


@case("members", 0, None, args=("--format", "text"), figures=(4, 4, 0))
def lone_surrogates_in_history_as_text(tmp):
    """good_layer: /etc/hostname's 4 bytes, visible."""
    layers = [good_layer()]
    return archive(tmp, layers, config=tb.config_for(layers, [{"created_by": "RUN \ud800 \udfff"}]))


@member_case(0, None, figures=(9004, 9004, 0))
def very_long_pax_names():
    """A file "pax" (3) at a 5,201-character PAX path, and a symlink whose PAX linkpath is "/"
    plus 9,000 "t" (9,001 bytes of target): size 9,004, all visible."""
    long = "d" * 200 + "/" + "p" * 5000
    return [tb.pax({"path": long}), tb.member("ignored", b"pax"),
            tb.pax({"linkpath": "/" + "t" * 9000}), tb.header("s", type_flag=b"2")]


@member_case(0, None, figures=(3, 3, 0))
def very_long_gnu_names():
    """One file "gnu" (3) at a 7,000-character GNU long name: size 3, visible."""
    return [tb.gnu_long_name("g" * 7000), tb.member("ignored", b"gnu")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): oversized extended header")
def oversized_pax_header():
    return [tb.header(b"././@PaxHeader", size=64 << 20, type_flag=b"x")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): malformed PAX record")
def malformed_pax_record():
    body = b"99999 path=x\n"
    return [tb.header(b"././@PaxHeader", size=len(body), type_flag=b"x") + tb.padded(body),
            tb.member("x", b"x")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): bad PAX uid 'root' at byte 1024")
def pax_uid_that_is_not_a_number():
    return [tb.pax({"uid": "root"}), tb.member("x", b"x")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): bad PAX size")
def pax_size_that_is_not_a_number():
    return [tb.pax({"size": "12e3"}), tb.member("x", b"x")]


DEEP = 10_000


def _deep_path(depth: int) -> str:
    return "/".join(["d"] * depth) + "/leaf"


@case("members", 0, None, heavy=True, figures=(109, 0, 109))
def ten_thousand_deep_directories(tmp):
    """A leaf "deep leaf" (9) 10,000 directories down, and a symlink there whose target the ustar
    link field cuts to its 100 bytes ("../" 33 times and "."): 109 bytes, all removed by the
    next layer's whiteout of /d: visible 0, wasted 109."""
    deep = _deep_path(DEEP)
    first = tb.layer(tb.pax({"path": deep}), tb.member("x", b"deep leaf"),
                     tb.pax({"path": deep + "2"}), tb.header("x", type_flag=b"2",
                                                             link="../" * DEEP))
    second = tb.layer(tb.member(".wh.d"))  # removes the whole tree again
    return archive(tmp, [first, second])


@member_case(0, None, figures=(0, 0, 0))
def hard_link_to_a_missing_member():
    """One hard link, which counts 0: size 0."""
    return [tb.header("link", type_flag=b"1", link="nowhere/at/all")]


@member_case(0, None, figures=(7, 7, 0))
def hard_link_to_a_later_member():
    """A hard link (0) and the file "content" (7) it names: size 7, visible."""
    return [tb.header("early", type_flag=b"1", link="late"), tb.member("late", b"content")]


@member_case(0, None, figures=(0, 0, 0))
def hard_link_cycle():
    """Three hard links, 0 each: size 0."""
    return [tb.header("a", type_flag=b"1", link="b"), tb.header("b", type_flag=b"1", link="a"),
            tb.header("c", type_flag=b"1", link="c")]


@member_case(0, None, figures=(22, 22, 0))
def symlink_loops():
    """Symlinks a -> b (1), b -> a (1), self -> self (4), up -> ../../../../.. (14), dir -> . (1)
    and the file dir/dir/dir/file "f" (1): size 22. The file is below a symlink of its own layer,
    which the merge keeps (Docker would follow it), so all 22 are visible."""
    return [tb.header("a", type_flag=b"2", link="b"), tb.header("b", type_flag=b"2", link="a"),
            tb.header("self", type_flag=b"2", link="self"),
            tb.header("up", type_flag=b"2", link="../../../../.."),
            tb.header("dir", type_flag=b"2", link="."), tb.member("dir/dir/dir/file", b"f")]


@case("members", 0, None, figures=(4, 0, 4))
def whiteouts_of_paths_that_never_existed(tmp):
    """/etc/hostname (4); the next layer whites out /nowhere/thing and /ghost (never written:
    harmless) and puts an opaque marker on /etc, which hides hostname: visible 0, wasted 4."""
    return archive(tmp, [good_layer(), tb.layer(tb.member("nowhere/.wh.thing"),
                                                tb.member(".wh.ghost"),
                                                tb.member("etc/.wh..wh..opq"))])


@case("members", 0, None, figures=(7, 3, 4), warnings=("root-opaque",))
def opaque_marker_at_the_root(tmp):
    """/etc/hostname (4); the next layer has ./.wh..wh..opq and /new "new" (3): the marker hides
    everything lower layers wrote (hostname, removed) and keeps its own layer's /new: size 7,
    visible 3, wasted 4. overlay2 ignores a marker at a layer root, so the report warns."""
    return archive(tmp, [good_layer(), tb.layer(tb.member(".wh..wh..opq"),
                                                tb.member("new", b"new"))])


@member_case(0, None, figures=(1, 1, 0))
def whiteout_of_the_root():
    """Whiteouts named "./.wh.." and ".wh." (0, harmless) and /x "x" (1): size 1, visible."""
    return [tb.member("./.wh.."), tb.member(".wh."), tb.member("x", b"x")]


@member_case(0, None, figures=(8, 1, 7), warnings=("duplicate-member",))
def duplicate_members_in_one_layer():
    """At /dup: "one" (3), "two" (3), a directory, then /dup/x "x" (1), then "3" (1): size 8.
    Each later member replaces the one before: one, two and (with its directory) x are dead
    (3 + 3 + 1 = 7), "3" is visible (1). Docker refuses such a layer: the report warns."""
    return [tb.member("dup", b"one"), tb.member("dup", b"two"),
            tb.header("dup", type_flag=b"5"), tb.member("dup/x", b"x"), tb.member("dup", b"3")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): negative size -1000 in the tar header of member "
             r"'neg' at byte 0")
def negative_size():
    field = b"\xff" + (-1000 & ((1 << 88) - 1)).to_bytes(11, "big")
    return [tb.header("neg", size_field=field)]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): absurd size 1208925819614629174706176 in the "
             r"tar header of member 'huge' at byte 0")
def absurd_size():
    field = b"\x80" + (1 << 80).to_bytes(11, "big")
    return [tb.header("huge", size_field=field)]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): negative size -512 in the tar header of member "
             r"'octal' at byte 0")
def negative_octal_size():  # int(..., 8) accepts a sign
    return [tb.header("octal", size_field=b"-0000001000\0"), b"x" * 1024]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): oversized extended header \(-512 bytes\) at "
             r"byte 0")
def negative_extended_header_size():  # would step the reader backwards, forever
    return [tb.header(b"././@PaxHeader", size_field=b"-0000001000\0", type_flag=b"x"),
            tb.member("x", b"x")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): negative size -5 in the tar header of member "
             r"'x' at byte 1024")
def negative_pax_size():
    return [tb.pax({"size": "-5"}), tb.member("x", b"x")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): layer tar is truncated in a member's content at "
             r"byte \d+")
def size_larger_than_the_layer():
    return [tb.header("big", size_field=tb._octal(0o77777777777, 12)), b"x" * 4096]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): bad size field")
def size_field_that_is_not_octal():
    return [tb.header("bad", size_field=b"12345678x\0\0\0")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): layer tar is unreadable: no valid tar header at "
             r"byte 512")
def header_with_a_bad_checksum():
    block = bytearray(tb.header("ok", size=0))
    second = bytearray(tb.header("bad", size=0))
    second[257:262] = b"xxxxx"
    return [bytes(block), bytes(second)]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): layer tar is unreadable: no valid tar header at "
             r"byte 512")
def ustar_header_with_a_bad_checksum():
    """A ustar header (magic intact) whose checksum is one off: Go's archive/tar checks every
    header's checksum, whatever its magic, and refuses it (issue 13, item 10)."""
    second = bytearray(tb.header("bad", size=0))
    second[148:155] = b"%06o\0" % (int(second[148:154], 8) + 1)
    return [tb.header("ok", size=0), bytes(second)]


@case("members", 0, None, figures=(100 + 3, 3, 100))
def layers_without_their_final_padding(tmp):
    """Two layers that end right after their last member's content: no padding to the block, no
    end-of-archive blocks, as Go's archive/tar (and so Docker) reads an archive's end (issue 13,
    item 10). Layer 0: /a, 100 bytes; layer 1: /a again, 3 bytes ("new"), and 10 of its 509
    bytes of padding. Size 103; the 3 are visible, the 100 wasted (overwritten)."""
    lower = tb.header("a", size=100) + b"x" * 100
    upper = tb.header("a", size=3) + b"new" + bytes(10)
    return archive(tmp, [lower, upper])


@member_case(0, None, figures=(1 << 30, 1 << 30, 0))
def old_gnu_sparse_file():
    """An old GNU sparse member ('S') holding 512 bytes of data with a real size of 1 GiB in its
    header: it counts its real size, 1,073,741,824 bytes, as Docker does; visible."""
    hdr = tb.header("sparse", size=512, type_flag=b"S",
                    extra={386: tb._octal(0, 12) + tb._octal(512, 12), 483: tb._octal(1 << 30, 12)})
    return [hdr + tb.padded(b"s" * 512)]


@member_case(0, None, figures=(1 << 30, 1 << 30, 0))
def pax_sparse_file():
    """A PAX 1.0 sparse file: GNU.sparse.realsize 1 GiB, 512 bytes of data after its map: it
    counts the real size, 1,073,741,824 bytes, as Docker does; visible."""
    return [tb.pax({"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                    "GNU.sparse.name": "sparse", "GNU.sparse.realsize": str(1 << 30)}),
            tb.member("GNUSparseFile.0/sparse", b"1\n0\n512\n" + bytes(509) + b"s" * 512)]


@case("members", 0, None, figures=(1 << 30, 0, 1 << 30))
def pax_sparse_file_removed_by_its_real_name(tmp):
    """The PAX 1.0 sparse file above (1 GiB real size) is /sparse, its GNU.sparse.name, as Go's
    archive/tar and so Docker name it; the next layer's .wh.sparse removes it: size 1 GiB,
    visible 0, wasted 1 GiB (issue 13, item 4)."""
    return archive(tmp, [tb.layer(*pax_sparse_file.__wrapped__()), tb.layer(tb.member(".wh.sparse"))])


@case("members", 0, None, figures=(1 << 20, 0, 1 << 20))
def pax_sparse_file_of_format_0_1_removed_by_its_real_name(tmp):
    """A PAX 0.1 sparse file: GNU.sparse.name "sparse01", real size (GNU.sparse.size) 1 MiB, one
    512-byte region in GNU.sparse.map; it is /sparse01 and counts 1,048,576 bytes, and the next
    layer's .wh.sparse01 removes it: visible 0, wasted 1 MiB (issue 13, item 4)."""
    sparse = [tb.pax({"GNU.sparse.major": "0", "GNU.sparse.minor": "1",
                      "GNU.sparse.name": "sparse01", "GNU.sparse.size": str(1 << 20),
                      "GNU.sparse.numblocks": "1", "GNU.sparse.map": "0,512"}),
              tb.member("GNUSparseFile.0/sparse01", b"s" * 512)]
    return archive(tmp, [tb.layer(*sparse), tb.layer(tb.member(".wh.sparse01"))])


@member_case(2, r"layer 0 \(layer0/layer\.tar\): absurd size \d+ in the tar header of member "
             r"'sparse' at byte 1024")
def absurd_sparse_real_size():
    return [tb.pax({"GNU.sparse.realsize": str(1 << 70)}), tb.member("sparse", b"s")]


@member_case(2, r"layer 0 \(layer0/layer\.tar\): bad PAX size '' at byte 1024")
def empty_pax_sparse_real_size():  # found by test_fuzz: was a KeyError
    return [tb.pax({"GNU.sparse.realsize": ""}), tb.member("a", b"")]


@member_case(0, None, figures=(0, 0, 0))
def device_nodes_and_fifos():
    """Devices, a fifo and an unknown type flag: 0 bytes each."""
    return [tb.header("dev/null", type_flag=b"3", mode=0o666),
            tb.header("dev/sda", type_flag=b"4"), tb.header("run/fifo", type_flag=b"6"),
            tb.header("odd", type_flag=b"Z")]


# ------------------------------------------------------------------ OCI


def _blobs(root: Path) -> Path:
    return root / "blobs" / "sha256"


def _json_files(root: Path):
    yield root / "index.json"
    for blob in _blobs(root).iterdir():
        if blob.read_bytes()[:1] == b"{":
            yield blob


def _replace_digest(node, old: str, new: str, size: int) -> bool:
    """Point every descriptor in a JSON document naming `old` at `new`; True if one did."""
    found = False
    if isinstance(node, dict):
        if node.get("digest") == old:
            node["digest"], node["size"] = new, size
            found = True
        node = list(node.values())
    if isinstance(node, list):
        for value in node:
            found = _replace_digest(value, old, new, size) or found
    return found


def redigest(root: Path, old: str, data: bytes) -> str:
    """Store `data` in place of blob `old` and update every descriptor naming it (recursively)."""
    new = tb.sha(data)
    (_blobs(root) / old.split(":")[1]).unlink()
    (_blobs(root) / new.split(":")[1]).write_bytes(data)
    for path in list(_json_files(root)):
        document = json.loads(path.read_bytes())
        if _replace_digest(document, old, new, len(data)):
            text = json.dumps(document, separators=(",", ":")).encode()
            if path.name == "index.json":
                path.write_bytes(text)
            else:
                redigest(root, "sha256:" + path.name, text)
    return new


def _manifest(root: Path) -> tuple[str, dict]:
    for path in _json_files(root):
        document = json.loads(path.read_bytes())
        if path.name != "index.json" and "layers" in document:
            return "sha256:" + path.name, document
    raise AssertionError("no manifest")


def _rewrite_manifest(root: Path, change) -> None:
    digest, manifest = _manifest(root)
    change(manifest)
    redigest(root, digest, json.dumps(manifest).encode())


def _rewrite_config(root: Path, change) -> None:
    _, manifest = _manifest(root)
    digest = manifest["config"]["digest"]
    config = json.loads((_blobs(root) / digest.split(":")[1]).read_bytes())
    change(config)
    redigest(root, digest, json.dumps(config).encode())


def _rewrite_index(root: Path, change) -> None:
    index = json.loads((root / "index.json").read_bytes())
    change(index)
    (root / "index.json").write_bytes(json.dumps(index).encode())


MULTI = [ImageSpec(SPEC.steps, architecture="arm64", variant="v8"),
         ImageSpec(SPEC.steps, architecture="s390x")]


@case("oci", 2, r"oci:\S+ has no image for platform linux/riscv64; available: linux/arm64/v8, "
      r"linux/s390x$", args=("--platform", "linux/riscv64"), hint="--platform")
def index_without_the_platform(tmp):
    return f"oci:{write_oci_layout(MULTI, tmp / 'layout')}"


@case("oci", 0, None, args=("--platform", "linux/s390x"), figures=(150, 150, 0))
def nested_indexes(tmp):
    """The s390x image of SPEC: /a (100) and /b (50): size 150, all visible."""
    return f"oci:{write_oci_layout(MULTI, tmp / 'layout')}"


@case("oci", 2, r"index nesting is deeper than 8 levels")
def index_nesting_too_deep(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    index = json.loads((root / "index.json").read_bytes())
    descriptor = index["manifests"][0]
    for _ in range(12):
        nested = json.dumps({"schemaVersion": 2, "mediaType": tb_index_type,
                             "manifests": [descriptor]}).encode()
        (_blobs(root) / tb.sha(nested).split(":")[1]).write_bytes(nested)
        descriptor = {"mediaType": tb_index_type, "digest": tb.sha(nested), "size": len(nested)}
    index["manifests"] = [descriptor]
    (root / "index.json").write_bytes(json.dumps(index).encode())
    return f"oci:{root}"


tb_index_type = "application/vnd.oci.image.index.v1+json"


@case("oci", 2, r"unsupported manifest media type 'application/vnd\.example\.unknown\+json'")
def unknown_manifest_media_type(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    _rewrite_index(root, lambda i: i["manifests"][0].update(
        mediaType="application/vnd.example.unknown+json"))
    return f"oci:{root}"


@case("oci", 2, r"unsupported layer media type 'application/vnd\.oci\.image\.layer\.v1\.tar\+lz4'")
def unknown_layer_media_type(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    _rewrite_manifest(root, lambda m: m["layers"][0].update(
        mediaType="application/vnd.oci.image.layer.v1.tar+lz4"))
    return f"oci:{root}"


@case("oci", 2, r"manifest blobs/sha256/[0-9a-f]{64} does not match its digest: its content is "
      r"sha256:[0-9a-f]{64}")
def manifest_digest_does_not_match_its_blob(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    digest, manifest = _manifest(root)
    manifest["annotations"] = {"tampered": "yes"}
    (_blobs(root) / digest.split(":")[1]).write_bytes(json.dumps(manifest).encode())
    return f"oci:{root}"


@case("oci", 2, r"image config blobs/sha256/[0-9a-f]{64} does not match its digest")
def config_digest_does_not_match_its_blob(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    _, manifest = _manifest(root)
    path = _blobs(root) / manifest["config"]["digest"].split(":")[1]
    path.write_bytes(path.read_bytes().replace(b'"os":"linux"', b'"os":"plan9"'))
    return f"oci:{root}"


@case("oci", 2, r"index\.json is malformed: ")
def descriptor_without_a_digest(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    _rewrite_index(root, lambda i: i["manifests"][0].pop("digest"))
    return f"oci:{root}"


@case("oci", 2, r"index\.json is malformed: ")
def manifests_that_are_not_a_list(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    _rewrite_index(root, lambda i: i.update(manifests="sha256:abc"))
    return f"oci:{root}"


@case("oci", 2, r"malformed digest 'sha256:\.\./\.\./\.\./etc/passwd'")
def digest_that_climbs_out_of_the_layout(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    _rewrite_index(root, lambda i: i["manifests"][0].update(digest="sha256:../../../etc/passwd"))
    return f"oci:{root}"


@case("oci", 2, r"malformed digest 'sha256:ab\\x00cd'")
def digest_with_a_nul_byte(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    _rewrite_index(root, lambda i: i["manifests"][0].update(digest="sha256:ab\0cd"))
    return f"oci:{root}"


@case("oci", 2, r"unsupported digest algorithm 'md5' in 'md5:[0-9a-f]+'")
def digest_of_an_unknown_algorithm(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    _rewrite_index(root, lambda i: i["manifests"][0].update(digest="md5:" + "0" * 32))
    return f"oci:{root}"


@case("oci", 2, r"blobs/sha256/[0-9a-f]{64} points outside the layout directory")
def blob_symlinked_out_of_the_layout(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    _, manifest = _manifest(root)
    blob = _blobs(root) / manifest["layers"][0]["digest"].split(":")[1]
    blob.unlink()
    (tmp / "outside").write_bytes(b"secret")
    blob.symlink_to(tmp / "outside")
    return f"oci:{root}"


@case("oci", 2, r"index index\.json is \d+ bytes, more than the 16 MiB allowed")
def huge_index_json(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    _rewrite_index(root, lambda i: i.update(padding="p" * (17 << 20)))
    return f"oci:{root}"


@case("oci", 2, r"index index\.json is not valid JSON")
def index_json_that_is_binary(tmp):
    root = write_oci_layout(SPEC, tmp / "layout")
    (root / "index.json").write_bytes(b"\xff\xfe{\x00")
    return f"oci:{root}"


@case("oci", 2, r"image config is not valid JSON")
def config_blob_that_is_a_layer(tmp):
    root = write_oci_layout(SPEC, tmp / "layout", compression="none")
    _rewrite_manifest(root, lambda m: m.__setitem__("config", dict(m["layers"][0])))
    return f"oci:{root}"


def by_name(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def message_matches(pattern: str, line: str) -> bool:
    return re.match(pattern, line) is not None
