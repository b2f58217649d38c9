"""layers.directory_index: a layer directory indexed as the tar Docker writes for it would be.

The trees are made here; the expected entries are written out by hand from the rules in the
module's docstring (Go's walk order, sizes as Docker counts them, overlay whiteouts and opaque
directories, hard links by inode). Whiteout devices and trusted.* xattrs need root, as the
engine's store does; the tests run as root here and are skipped elsewhere.
"""

from __future__ import annotations

import os
import socket
import stat

import pytest
import xxhash

from layerscope.errors import LayerReadError
from layerscope.layers.directory_index import hash_files, index_directory
from layerscope.layers.tarindex import CapturePolicy
from layerscope.model import EntryKind

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="mknod and trusted.* xattrs need root")
FILE, DIRECTORY, SYMLINK, HARDLINK, WHITEOUT, OPAQUE, OTHER = (
    EntryKind.FILE, EntryKind.DIRECTORY, EntryKind.SYMLINK, EntryKind.HARDLINK,
    EntryKind.WHITEOUT, EntryKind.OPAQUE, EntryKind.OTHER)


def write(path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)


def shape(blob):
    """(path, kind, size) of every entry, in order."""
    return [(entry.path, entry.kind, entry.size) for entry in blob.entries]


def test_walk_order_sizes_links_and_modes(tmp_path):
    write(tmp_path / "b.txt", b"12345")
    write(tmp_path / "a.txt", b"abc", 0o4755)
    write(tmp_path / "a" / "z", b"")
    os.link(tmp_path / "a.txt", tmp_path / "a" / "y")  # met first: the file; a.txt: the link
    os.symlink("../b.txt", tmp_path / "a" / "x")       # 8 bytes of target
    os.symlink("/etc", tmp_path / "etc")               # never followed
    os.mkfifo(tmp_path / "pipe")
    with socket.socket(socket.AF_UNIX) as listener:    # Docker's writer skips sockets
        listener.bind(str(tmp_path / "sock"))
        blob = index_directory(str(tmp_path), hash_all=True)
    # by name, bytewise, a directory before its contents: "a" < "a.txt" < "b.txt" < "etc" < ...
    assert shape(blob) == [
        ("/a", DIRECTORY, 0), ("/a/x", SYMLINK, 8), ("/a/y", FILE, 3), ("/a/z", FILE, 0),
        ("/a.txt", HARDLINK, 0), ("/b.txt", FILE, 5), ("/etc", SYMLINK, 4), ("/pipe", OTHER, 0)]
    assert blob.size == 8 + 3 + 0 + 5 + 4
    by_path = {entry.path: entry for entry in blob.entries}
    assert by_path["/a.txt"].link_target == "/a/y"
    assert by_path["/a/x"].link_target == "../b.txt"
    assert by_path["/a/y"].mode == stat.S_IFREG | 0o4755  # Docker's writer keeps the type bits
    assert by_path["/a"].mode & 0o170000 == stat.S_IFDIR
    assert by_path["/b.txt"].content_hash == xxhash.xxh3_64_intdigest(b"12345")
    assert not blob.deferred
    bare = index_directory(str(tmp_path), hash_all=True, type_bits=False)
    assert {entry.path: entry.mode for entry in bare.entries}["/a/y"] == 0o4755


@ROOT_ONLY
def test_overlay_whiteouts_and_opaque_directories(tmp_path):
    (tmp_path / "etc").mkdir()
    os.mknod(tmp_path / "etc" / "gone", stat.S_IFCHR | 0o600, os.makedev(0, 0))
    os.mknod(tmp_path / "etc" / "tty", stat.S_IFCHR | 0o600, os.makedev(5, 0))  # a real device
    (tmp_path / "opt" / "app").mkdir(parents=True)
    os.setxattr(tmp_path / "opt" / "app", "trusted.overlay.opaque", b"y")
    write(tmp_path / "opt" / "app" / "new", b"n")
    (tmp_path / "var").mkdir()
    os.setxattr(tmp_path / "var", "user.overlay.opaque", b"y")
    write(tmp_path / "srv" / ".wh.old", b"")             # a tar-style marker reads as one too
    write(tmp_path / "srv" / ".wh..wh.plnk", b"")        # aufs bookkeeping: dropped
    blob = index_directory(str(tmp_path))
    assert shape(blob) == [
        ("/etc", DIRECTORY, 0), ("/etc/gone", WHITEOUT, 0), ("/etc/tty", OTHER, 0),
        ("/opt", DIRECTORY, 0), ("/opt/app", DIRECTORY, 0), ("/opt/app", OPAQUE, 0),
        ("/opt/app/new", FILE, 1), ("/srv", DIRECTORY, 0), ("/srv/old", WHITEOUT, 0),
        ("/var", DIRECTORY, 0), ("/var", OPAQUE, 0)]
    only_trusted = index_directory(str(tmp_path), opaque_xattrs=("trusted.overlay.opaque",))
    assert ("/var", OPAQUE, 0) not in shape(only_trusted)


def test_contents_are_read_only_where_asked(tmp_path):
    write(tmp_path / "var" / "lib" / "dpkg" / "status", b"Package: x\n")
    write(tmp_path / "big", b"x" * 100_000)
    write(tmp_path / "empty", b"")
    policy = CapturePolicy(("/var/lib/dpkg/",), (), lambda path: path.endswith("/status"))
    blob = index_directory(str(tmp_path), capture=policy)
    assert blob.captured == {"/var/lib/dpkg/status": b"Package: x\n"}
    hashes = {entry.path: entry.content_hash for entry in blob.entries if entry.kind == FILE}
    assert hashes["/big"] is None and hashes["/empty"] == xxhash.xxh3_64_intdigest(b"")
    assert hashes["/var/lib/dpkg/status"] == xxhash.xxh3_64_intdigest(b"Package: x\n")
    # entry 0 is /big, the one file left unread: no persistent cache may keep this index
    assert blob.deferred == ((0, -1, 100_000),)
    assert hash_files(str(tmp_path), ["/big"]) == [xxhash.xxh3_64_intdigest(b"x" * 100_000)]


def test_symlinks_are_never_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside / "secret", b"s")
    layer = tmp_path / "layer"
    layer.mkdir()
    os.symlink(outside, layer / "lib")
    assert shape(index_directory(str(layer))) == [("/lib", SYMLINK, len(str(outside)))]
    with pytest.raises(LayerReadError, match="cannot read the layer directory"):
        hash_files(str(layer), ["/lib/secret"])


def test_a_vanished_directory_is_a_layer_read_error(tmp_path):
    with pytest.raises(LayerReadError, match="cannot read the layer directory"):
        index_directory(str(tmp_path / "removed"))


def test_a_file_of_another_size_than_the_walk_found_is_a_layer_read_error(tmp_path):
    write(tmp_path / "etc" / "grown", b"12345")
    assert hash_files(str(tmp_path), ["/etc/grown"], [5]) == [xxhash.xxh3_64_intdigest(b"12345")]
    with pytest.raises(LayerReadError, match="changed while the layer was read"):
        hash_files(str(tmp_path), ["/etc/grown"], [4])  # the walk saw 4 bytes: it was rewritten
