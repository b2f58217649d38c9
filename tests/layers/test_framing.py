"""The one framing of cache files: a file reads back only as the kind, format and Python that
wrote it, and intact."""

import sys

import pytest

from layerscope.layers.framing import HEADER, frame, unframe


def test_a_framed_body_reads_back():
    assert unframe(b"LSIX", 3, frame(b"LSIX", 3, b"body")) == b"body"
    assert unframe(b"LSRP", 1, frame(b"LSRP", 1, b"")) == b""


@pytest.mark.parametrize("change", ["magic", "version", "python", "body", "checksum", "short"])
def test_any_other_kind_format_python_or_damage_reads_as_missing(change):
    data = bytearray(frame(b"LSIX", 3, b"some body"))
    if change == "magic":
        data[:4] = b"LSRP"
    elif change == "version":
        data[4] ^= 1
    elif change == "python":
        data[6:8] = (sys.version_info.minor + 1).to_bytes(2, "little")
    elif change == "body":
        data[-1] ^= 1
    elif change == "checksum":
        data[HEADER.size - 1] ^= 1
    else:
        data = data[:HEADER.size - 1]
    assert unframe(b"LSIX", 3, bytes(data)) is None
