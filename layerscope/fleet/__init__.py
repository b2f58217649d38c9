"""`layerscope fleet`: many images into one DuckDB file, each distinct layer indexed once, on
this machine's cores or on a Dask cluster. This package sits just below the commands (see the
import contract); duckdb and distributed are imported only by the modules that use them."""

from __future__ import annotations

from ..errors import LayerscopeError

__all__ = ["FleetError", "PARTIAL_EXIT"]

PARTIAL_EXIT = 3
"""Exit status of a scan that finished but could not read every image (docs/fleet.md)."""


class FleetError(LayerscopeError):
    """The fleet database, the target list or the cluster could not be used."""
