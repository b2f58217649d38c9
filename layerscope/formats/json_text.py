"""JSON text exactly as `json.dumps(document, indent=2)` writes it, made in C: the standard
library's indenting encoder is pure Python (0.36 s of CPU for big-churn's 300k-file report;
msgspec encodes and indents the same document in 0.06 s)."""

from __future__ import annotations

import json
import math


class Exact(float):
    """A float written as Python writes it (its repr): msgspec writes 1e-05 as 0.00001 and 1e+16
    as 1e16. Every float of a document given to `indented` is one of these."""

    __slots__ = ()


def _raw_float(value):
    import msgspec

    if type(value) is Exact and math.isfinite(value):
        return msgspec.Raw(float.__repr__(value).encode())
    raise TypeError(f"not written by msgspec: {type(value).__name__}")


def indented(document) -> str:
    """`json.dumps(document, indent=2)` and a newline, byte for byte. A document msgspec cannot
    write the same way (text outside ASCII, which json escapes; a name that is not UTF-8; a
    type of its own) is written by json."""
    import msgspec

    try:
        raw = msgspec.json.format(msgspec.json.encode(document, enc_hook=_raw_float), indent=2)
    except (TypeError, ValueError, msgspec.EncodeError):
        raw = None
    if raw is None or not raw.isascii():
        return json.dumps(document, indent=2) + "\n"
    return raw.decode("ascii") + "\n"
