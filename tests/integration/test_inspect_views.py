"""inspect's views of a real engine image (chmod:latest, sample_images/chmod/Dockerfile): the
chmod step replaced, never deleted; its files; the text fitted to 80 columns, piped, so
without colour."""

from __future__ import annotations

import json
import os

from tests.integration.conftest import run_layerscope

MODEL = 1_048_576  # head -c 1048576 > /opt/data/model.bin (the Dockerfile)


def _env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "NO_COLOR")}
    return env | extra


def test_chmod_replaces_below_and_deletes_nothing(client):
    # Steps 4 (chmod) and 5 (chown) each copy model.bin up unchanged: the lower copy is hidden
    # under the new one (replaced), and no whiteout deleted anything.
    result = run_layerscope("inspect", "chmod:latest", "--format", "json", "-q", env=_env())
    steps = json.loads(result.stdout)["steps"]
    for index in (4, 5):
        assert (steps[index]["removed_lower_bytes"], steps[index]["replaced_lower_bytes"]) == \
            (0, MODEL)
        assert steps[index]["deleted_lower_bytes"] == MODEL


def test_files_of_the_chmod_step(client):
    # /opt and /opt/data were made by step 3, so they carry no mark; model.bin is the same
    # 1,048,576 bytes (1.0 MB) with a new mode, and step 5's chown copies it again.
    result = run_layerscope("inspect", "chmod:latest", "--files", "4", "-q",
                            env=_env(COLUMNS="80"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "Files of step 4: RUN chmod 600 /opt/data/model.bin\n"
        "Layer 1.0 MB in 3 entries: 1 metadata-only; 1.0 MB of it lost to later steps\n"
        "\n"
        "Change              Size  Path (largest first)\n"
        "                  1.0 MB  └── opt/\n"
        "                  1.0 MB      └── data/\n"
        "metadata-only     1.0 MB          └── model.bin  (lost to step 5)\n")


def test_text_fits_80_columns_and_names_the_copy(client):
    result = run_layerscope("inspect", "chmod:latest", "-q", env=_env(COLUMNS="80"))
    lines = result.stdout.split("\n")
    assert max(len(line) for line in lines) <= 80 and "\x1b[" not in result.stdout
    assert "  step 3 wrote 1.0 MB that step 4 copied unchanged, changing only" in lines
    wide = run_layerscope("inspect", "chmod:latest", "-q", "--wide", env=_env(COLUMNS="80"))
    header = next(line for line in wide.stdout.split("\n") if line.startswith("  #  "))
    assert "Rewrote" in header and "Removed" in header and "Replaced" in header
