"""The real Docker engine every integration test talks to (make test always provides one)."""

from __future__ import annotations

import os
import subprocess
import sys

import docker
import pytest


@pytest.fixture(scope="session")
def client():
    """A docker SDK client that has answered a ping; without an engine the test fails loudly."""
    try:
        engine = docker.from_env()
        engine.ping()
    except docker.errors.DockerException as error:
        pytest.fail(f"no Docker engine at {os.environ.get('DOCKER_HOST')}: {error}; run `make test`")
    return engine


def run_layerscope(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """layerscope as a user runs it: a separate process, output captured."""
    return subprocess.run([sys.executable, "-m", "layerscope", *args], capture_output=True,
                          text=True, env=env, timeout=600)
