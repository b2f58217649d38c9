"""A small fleet written once a session: three bases, nine images on them, waste on some, one
shared file on others (see fleetgen for what each holds)."""

from __future__ import annotations

import json

import pytest

from tests.fleet.fleetgen import App, Base
from tests.inprocess import run_main

BASES = (
    Base("alpine", (("/bin/sh", 1000), ("/etc/os-release", 100))),
    Base("debian", (("/bin/sh", 3000), ("/etc/os-release", 200), ("/etc/debian_version", 10))),
    Base("distroless", (("/etc/os-release", 50),)),
)


def make_apps() -> tuple[App, ...]:
    """app0..app8: base i % 3; apt lists of 100 B each on apps 0, 3, 6 (all on alpine);
    /opt/shared.bin (500 B, the same content) in apps 1, 2 and 4."""
    return tuple(App(f"app{i}", BASES[i % 3], own=200 + 10 * i,
                     apt_lists=100 if i % 3 == 0 else 0,
                     shared_blob=500 if i in (1, 2, 4) else 0) for i in range(9))


@pytest.fixture(scope="session")
def fleet(tmp_path_factory):
    """(apps, references) of the session's fleet, as docker-archive files."""
    directory = tmp_path_factory.mktemp("fleet")
    apps = make_apps()
    return apps, tuple(app.write(directory) for app in apps)


def report_json(db) -> dict:
    code, out = run_main("fleet", "report", "--db", db, "--format", "json")
    assert code == 0
    return json.loads(out)


def without_scan(document: dict) -> dict:
    """The report without what names the scan itself (its number and time)."""
    return {k: v for k, v in document.items() if k != "scan"}


@pytest.fixture(scope="session")
def heavy_fleet(tmp_path_factory):
    """Images of many files each, so a task runs long enough to kill its worker: 8 images on 2
    bases, each with 6000 small files of its own."""
    directory = tmp_path_factory.mktemp("heavy")
    bases = (Base("h1", (("/bin/sh", 100),)), Base("h2", (("/bin/sh", 200),)))
    return tuple(App(f"heavy{i}", bases[i % 2], own=10 + i, apt_lists=5, extra_files=6000)
                 .write(directory) for i in range(8))
