"""The explorer as users start it: refused without a terminal, and in a real one (tmux) on an
image of the real engine, driven by keys and read back from the screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import docker
import pytest

IMAGE = "chmod:latest"  # sample_images/chmod: base, then a 1 MiB file written, chmod'ed, chown'ed


def test_without_a_terminal_it_exits_2_pointing_to_inspect():
    run = subprocess.run([sys.executable, "-m", "layerscope", "explore", IMAGE],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        "layerscope: error: explore needs a terminal: its input and output must both be one",
        f"hint: for a report, run `layerscope inspect {IMAGE}`"]


def test_diff_without_a_terminal_points_to_diff():
    run = subprocess.run([sys.executable, "-m", "layerscope", "explore", "a:1", "b:2"],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1] == "hint: for a report, run `layerscope diff a:1 b:2`"


@pytest.fixture(scope="module")
def history():
    """The engine's own figures for IMAGE: the layer size of each history entry, oldest first,
    and the image size."""
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        pytest.fail(f"no Docker engine at {os.environ.get('DOCKER_HOST')}: {error}; run `make test`")
    rows = client.api.history(IMAGE)
    return [row["Size"] for row in reversed(rows)], client.api.inspect_image(IMAGE)["Size"]


class Tmux:
    """One detached tmux session of 80x24 running a command, on a tmux server of its own: a
    server already running (someone else's) would give the command its environment, not
    this test's."""

    def __init__(self, command: str) -> None:
        if shutil.which("tmux") is None:
            pytest.fail("tmux is not installed; `make test` installs it (scripts/tmux.sh)")
        self.tmux = ["tmux", "-L", f"layerscope-explore-{uuid.uuid4().hex[:8]}", "-f", os.devnull]
        subprocess.run([*self.tmux, "new-session", "-d", "-s", "explore", "-x", "80", "-y", "24",
                        command], check=True, env=os.environ.copy())

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", "explore", *keys], check=True)

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", "explore"], check=True,
                              capture_output=True, text=True).stdout

    def wait_for(self, text: str, timeout: float = 60, gone: str | None = None) -> str:
        """The screen once it shows `text` (and no longer shows `gone`)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen and (gone is None or gone not in screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{screen}")
            time.sleep(0.2)

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)  # this test's server


@pytest.mark.engine
def test_in_tmux_browse_the_waste_and_quit(history, tmp_path):
    sizes, image_size = history
    done = tmp_path / "exit-code"
    tmux = Tmux(f"{sys.executable} -m layerscope explore {IMAGE}; echo $? > {done}; sleep 60")
    try:
        # the first step after the base (steps 0-2) is the one writing the 1 MiB file
        tmux.wait_for("step 3 (layer")
        screen = tmux.wait_for("opt/")  # the tree is painted after the steps
        assert f"step 3 (layer 2) {sizes[3]:,} B" in screen
        assert "Step 3: this step's changes" in screen
        tmux.keys("Tab", "Space")  # to the tree, open /opt
        screen = tmux.wait_for("data/")
        tmux.keys("w")  # the waste view: the file's two dead copies, 1 MiB each
        screen = tmux.wait_for("Wasted")
        assert f"Wasted {2 * 1048576:,} B" in screen
        rows = [line for line in screen.splitlines() if "metadata-only" in line
                and line.startswith("│")]
        assert len(rows) == 2 and all("/opt/data/model.bin" in row for row in rows)
        assert "3 -> 4" in rows[0] and "4 -> 5" in rows[1]
        tmux.keys("Enter")  # the largest first; ties by path, then the writer: killed by step 4
        screen = tmux.wait_for("Step 4: this step's changes")
        assert "model.bin" in screen
        assert f"{1048576:,} B" in screen and "metadata only changed by step 4" in screen.replace(
            "\n", " ")
        tmux.keys("?")
        tmux.wait_for("layerscope explore: keys")
        tmux.keys("Escape")  # alone: Esc and a key at once read as Alt+key
        tmux.wait_for("Step 4: this step's changes", gone="layerscope explore: keys")
        tmux.keys("q")
        deadline = time.monotonic() + 30
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert done.read_text().strip() == "0"
    finally:
        tmux.close()
    assert image_size == sum(sizes)


def test_without_textual_it_says_which_extra_to_install(monkeypatch, capsys):
    import layerscope.commands.explore as command
    from tests.inprocess import run_main

    monkeypatch.setattr(command, "find_spec", lambda name: None)
    code, stdout = run_main("explore", IMAGE)
    assert (code, stdout) == (2, b"")
    assert capsys.readouterr().err.splitlines() == [
        "layerscope: error: explore needs Textual, which is not installed",
        "hint: pip install 'layerscope[explore]'"]
