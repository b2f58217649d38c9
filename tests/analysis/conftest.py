"""Helpers that turn readable layer descriptions into indexed images, through the real reader."""

from __future__ import annotations

import hashlib
import io

import pytest

from layerscope.layers.tarindex import index_layer
from layerscope.model import HistoryEntry, Image, Layer
from tests.imagebuilder import layer_tar


def build_image(*steps) -> Image:
    """steps: (created_by, entries-or-None) pairs, oldest first; None makes an empty-layer step.

    A step may be a triple (created_by, entries, captured): captured maps package-database paths
    to their bytes (the dpkg status, .list files, ...) as if the reader had captured them."""
    layers, history = [], []
    for created_by, entries, *extra in steps:
        history.append(HistoryEntry(created_by, entries is None))
        if entries is None:
            continue
        data = layer_tar(entries)
        files, size = index_layer(io.BytesIO(data))
        layers.append(Layer(len(layers), "sha256:" + hashlib.sha256(data).hexdigest(), files, size,
                            captured=dict(extra[0]) if extra else {}))
    return Image("test:latest", "sha256:" + "0" * 64, ("test:latest",), "amd64", "linux",
                 tuple(history), tuple(layers))


@pytest.fixture
def image_of():
    return build_image
