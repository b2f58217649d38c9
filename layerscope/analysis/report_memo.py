"""Finished inspect reports, kept by what they depend on, so a repeat run reads no layer.

A report is a pure function of the image (its ID names its config and so every layer), the base
image's layer digests, the options that shape it, and layerscope's own code. The key hashes all
four; the code is fingerprinted by its files' sizes and times, the versions of the libraries
that shape the output and Python's (fingerprint.code_fingerprint), so an edited rule, a new
release or an upgraded library never serves a stale report. The layers' indexes under it carry
their own fingerprint (layers.cache), so a reader fix reaches both.
"""

from __future__ import annotations

import hashlib

from ..fingerprint import code_fingerprint
from ..model import LayerDigests
from .image_report import InspectReport

FORMAT = 2  # 2: the code fingerprint is an xxh3-128


def report_key(image_id: str, base: LayerDigests | None, options: tuple,
               fingerprint=code_fingerprint) -> str:
    """sha256:... naming the report of this image, base and options under this code (its
    fingerprint from `fingerprint`: the run's RunFingerprint, computed once a run)."""
    parts = (FORMAT, fingerprint(), image_id,
             None if base is None else tuple(base.diff_ids), base.history_length if base else None,
             options)
    return "sha256:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def dumps(report: InspectReport) -> bytes:
    """The report as bytes for the cache."""
    import pickle  # only a cached run stores or replays a report: 3 ms of import otherwise

    return pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL)


def loads(payload: bytes) -> InspectReport | None:
    """The report back; None if the bytes are not one (the cache dropped or mangled it).

    Only entries this user's layerscope wrote are read: the cache directory must be the user's
    own, and every entry passed its checksum before it gets here."""
    import pickle

    try:
        report = pickle.loads(payload)  # written by this program into a 0700 directory
    except Exception:  # noqa: BLE001
        return None
    return report if isinstance(report, InspectReport) else None
