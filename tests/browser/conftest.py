"""One headless Chromium for the session, and the reports it opens, written by the CLI run in
this process."""

from __future__ import annotations

import json

import pytest

from tests.inprocess import run_main

from . import chrome


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through chromedriver; the tests fail loudly without it."""
    try:
        driver = chrome.start()
    except Exception as error:  # noqa: BLE001 - any failure to start is the same verdict
        pytest.fail(f"cannot start headless chromium: {error}; run scripts/browser.sh")
    yield driver
    driver.quit()


def write_reports(directory, *arguments: str) -> tuple[object, dict]:
    """(path of the HTML report, the JSON report) of one run writing both: JSON on stdout,
    HTML beside it with -o html=FILE."""
    page = directory / "report.html"
    code, out = run_main(*arguments, "--format", "json", "-o", f"html={page}", "--no-progress")
    assert code in (0, 1), out
    return page, json.loads(out)


@pytest.fixture(scope="session")
def engine():
    """A docker SDK client that has answered a ping; without an engine the test fails loudly."""
    import os

    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        pytest.fail(f"no Docker engine at {os.environ.get('DOCKER_HOST')}: {error}; run `make test`")
    return client
