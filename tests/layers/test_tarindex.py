"""index_layer: entry kinds, Docker's size accounting, whiteouts, unsafe and damaged tars."""

import io
import tarfile

import pytest
import xxhash

from layerscope.errors import LayerReadError
from layerscope.layers.tarindex import index_layer, normalize_member_path
from layerscope.model import EntryKind, FileEntry
from tests.imagebuilder import (
    Entry,
    chardev,
    directory,
    fifo,
    file,
    hardlink,
    layer_tar,
    opaque,
    symlink,
    whiteout,
)


def index(*entries):
    return index_layer(io.BytesIO(layer_tar(entries)))


def only(*entries) -> FileEntry:
    found, _ = index(*entries)
    assert len(found) == 1
    return found[0]


def test_regular_file_counts_its_content_length_and_keeps_owner_and_mode():
    entry = only(file("/usr/bin/tool", b"x" * 1234, mode=0o4755, uid=1000, gid=50))
    assert (entry.path, entry.kind, entry.size) == ("/usr/bin/tool", EntryKind.FILE, 1234)
    assert (entry.mode, entry.uid, entry.gid) == (0o4755, 1000, 50)
    assert entry.link_target is None


def test_symlink_counts_the_byte_length_of_its_target():
    entry = only(symlink("/lib/libc.so", "libc.so.6"))
    assert (entry.kind, entry.size, entry.link_target) == (EntryKind.SYMLINK, 9, "libc.so.6")
    assert only(symlink("/x", "/caf\u00e9")).size == 6  # bytes, not characters


def test_hard_link_counts_zero_and_points_at_an_absolute_path():
    entries, size = index(file("/a/b", "hello"), hardlink("/a/h", "/a/b"))
    assert entries[1] == FileEntry("/a/h", EntryKind.HARDLINK, 0, mode=0o644, link_target="/a/b")
    assert size == 5


@pytest.mark.parametrize(
    "entry",
    [directory("/etc"), fifo("/run/pipe"), chardev("/dev/null")],
    ids=["directory", "fifo", "device"],
)
def test_directories_devices_and_fifos_count_zero(entry):
    found = only(entry)
    assert found.size == 0
    assert found.kind == (EntryKind.DIRECTORY if entry.type == tarfile.DIRTYPE else EntryKind.OTHER)


def test_whiteout_names_the_path_it_deletes():
    assert only(whiteout("/a/b")) == FileEntry("/a/b", EntryKind.WHITEOUT, 0)
    assert only(whiteout("/top")) == FileEntry("/top", EntryKind.WHITEOUT, 0)


def test_opaque_marker_names_its_directory():
    assert only(opaque("/a")) == FileEntry("/a", EntryKind.OPAQUE, 0)


def test_aufs_metadata_and_the_root_directory_are_skipped():
    entries, size = index(
        directory("."),
        Entry(".wh..wh.plnk", tarfile.DIRTYPE, mode=0o700),
        Entry(".wh..wh.aufs", tarfile.REGTYPE),
        file("/kept", "abc"),
    )
    assert [e.path for e in entries] == ["/kept"]
    assert size == 3


def test_layer_size_is_the_sum_of_entry_sizes_in_tar_order():
    entries, size = index(
        directory("/a"),
        file("/a/one", b"1" * 100),
        symlink("/a/s", "/a/one"),  # 6
        hardlink("/a/h", "/a/one"),
        whiteout("/a/old"),
        file("/a/two", b"2" * 23),
    )
    assert [e.path for e in entries] == ["/a", "/a/one", "/a/s", "/a/h", "/a/old", "/a/two"]
    assert [e.size for e in entries] == [0, 100, 6, 0, 0, 23]
    assert size == 129


def test_content_hash_tells_equal_content_from_different_content():
    entries, _ = index(
        file("/a", "same", mode=0o600), file("/b", "same", uid=7), file("/c", "other")
    )
    a, b, c = entries
    assert a.content_hash is not None
    assert a.content_hash == b.content_hash
    assert a.content_hash != c.content_hash
    assert only(directory("/d")).content_hash is None


def test_empty_file_has_a_hash_and_size_zero():
    entry = only(file("/empty"))
    assert (entry.size, entry.content_hash is not None) == (0, True)


def test_empty_layer_and_empty_stream_have_no_entries():
    assert index() == ((), 0)
    assert index_layer(io.BytesIO(b"")) == ((), 0)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a/b", "/a/b"),
        ("./a/b", "/a/b"),
        ("/a/b/", "/a/b"),
        ("a//b", "/a/b"),
        ("a/./b", "/a/b"),
        ("a/x/../b", "/a/b"),
        (".", "/"),
        ("./", "/"),
    ],
)
def test_member_names_become_absolute_normalised_paths(name, expected):
    assert normalize_member_path(name) == expected


@pytest.mark.parametrize("name", ["../x", "./../x", "/../x", "a/../../x", ".."])
def test_member_names_that_climb_out_of_the_root_are_refused(name):
    with pytest.raises(LayerReadError) as raised:
        normalize_member_path(name)
    assert raised.value.message == f"member {name!r} escapes the image root"


def test_a_layer_with_a_climbing_member_is_refused():
    with pytest.raises(LayerReadError, match="escapes the image root"):
        index(file("/ok", "1"), Entry("../etc/passwd", tarfile.REGTYPE, b"x"))


def test_a_hard_link_whose_target_climbs_out_is_refused():
    with pytest.raises(LayerReadError, match="escapes the image root"):
        index(Entry("a", tarfile.LNKTYPE, linkname="../../etc/shadow"))


@pytest.mark.parametrize("cut", [100, 512 + 700, 512 * 3 + 10], ids=["header", "content", "next"])
def test_truncated_tar_is_a_layer_read_error(cut):
    data = layer_tar([file("/a", b"a" * 2000), file("/b", "hello")])
    with pytest.raises(LayerReadError):
        index_layer(io.BytesIO(data[: 512 + cut]))


def test_bytes_that_are_not_a_tar_are_a_layer_read_error():
    with pytest.raises(LayerReadError, match="unreadable"):
        index_layer(io.BytesIO(b"this is not a tar archive".ljust(1024, b"!")))


def test_size_fields_of_every_octal_spelling_read_alike():
    # eleven digits and a NUL (GNU tar, Go), a space (old tars), twelve digits and no terminator
    data = layer_tar([file("f", b"x" * 100)])
    for spelling in (b"00000000144\0", b"00000000144 ", b"000000000144", b"144\0\0\0\0\0\0\0\0\0"):
        header = bytearray(data[:512])
        header[124:136] = spelling
        header[148:156] = b" " * 8
        header[148:155] = b"%06o\0" % (sum(header) & 0o777777)
        entries, size = index_layer(io.BytesIO(bytes(header) + data[512:]))
        assert (entries[0].size, size) == (100, 100), spelling


def big(path: str, fill: bytes, size: int = 100_000, mode: int = 0o644):
    return file(path, fill * size, mode=mode)


def test_deferred_files_are_skipped_and_located_exactly(tmp_path, monkeypatch):
    from layerscope.layers import tarindex
    from layerscope.sources.archive import FileSlice

    monkeypatch.setattr(tarindex, "DEFERRING_READ", 4096)  # files already read are hashed

    data = layer_tar([file("small", b"s" * 10), big("a", b"a"), directory("d"), big("d/b", b"b"),
                      file("tail", b"t" * 700)])
    (tmp_path / "layer.tar").write_bytes(data)
    full, full_size = index_layer(data)
    deferred = []
    with open(tmp_path / "layer.tar", "rb") as handle:
        head = handle.read(512)
        entries, size = index_layer(FileSlice(handle, 512, len(data) - 512), {}, deferred, head)
    assert size == full_size
    assert [e.path for e in entries] == [e.path for e in full]
    assert [(entries[i].path, s) for i, _, s in deferred] == [("/a", 100_000), ("/d/b", 100_000)]
    for index, offset, length in deferred:
        assert entries[index].content_hash is None
        assert xxhash.xxh3_64_intdigest(data[offset:offset + length]) == full[index].content_hash
        assert entries[index]._replace(content_hash=full[index].content_hash) == full[index]
    assert all(e == f for e, f in zip(entries, full) if e.path not in ("/a", "/d/b"))


def test_a_skipped_file_cut_short_is_a_truncated_layer(tmp_path):
    from layerscope.sources.archive import FileSlice

    data = layer_tar([big("a", b"a")])[:60_000]
    (tmp_path / "layer.tar").write_bytes(data)
    with open(tmp_path / "layer.tar", "rb") as handle, pytest.raises(LayerReadError, match="truncated"):
        index_layer(FileSlice(handle, 0, len(data)), {}, [])


def test_contents_are_captured_only_as_the_callers_policy_says():
    from layerscope.analysis.packages import PACKAGE_DATABASES

    tar = layer_tar([file("/var/lib/dpkg/status", "Package: x\n"),
                     file("/var/lib/dpkg/info/libc6:amd64.list", "/lib\n"),
                     file("/usr/lib/python3/dist-packages/a-1.dist-info/RECORD", "a.py,,3\n"),
                     file("/var/log/apt/history.log", "Start-Date: now\n"),
                     file("/lib/apk/db/installed", "P:musl\n"),
                     file("/var/lib/dpkg/status-old", "old\n")])
    captured = {}
    index_layer(io.BytesIO(tar), captured, capture=PACKAGE_DATABASES)
    assert sorted(captured) == ["/usr/lib/python3/dist-packages/a-1.dist-info/RECORD",
                                "/var/lib/dpkg/info/libc6:amd64.list", "/var/lib/dpkg/status"]
    assert captured["/var/lib/dpkg/status"] == b"Package: x\n"
    nothing = {}
    assert index_layer(io.BytesIO(tar), nothing) == index_layer(io.BytesIO(tar), captured={},
                                                                 capture=PACKAGE_DATABASES)
    assert nothing == {}
