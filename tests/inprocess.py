"""The command line run in this process: what it printed, without a new interpreter each time
(the read-path and fuzz tests run it thousands of times)."""

from __future__ import annotations

import gc
import io
import sys

from layerscope.__main__ import main


def run_main(*arguments: str) -> tuple[int, bytes]:
    """(exit code, stdout bytes) of `layerscope ARGUMENTS`; stderr goes where it goes. main()
    turns the cyclic GC off for its one-report process; here the process goes on, so it is
    turned back on."""
    buffer = io.BytesIO()
    stream = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    saved, sys.stdout = sys.stdout, stream
    try:
        code = main([str(a) for a in arguments])
        stream.flush()
    finally:
        sys.stdout = saved
        gc.enable()
    return code, buffer.getvalue()
