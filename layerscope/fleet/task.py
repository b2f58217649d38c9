"""The function a fleet scan submits: a name the client can pickle without importing what it
runs. A worker imports fleet.work (the reading and analysis stack) on its first call, or earlier
when the worker has imported it already (a running cluster has)."""

from __future__ import annotations

from .jobs import Job, Outcome


def analyse(job: Job) -> Outcome:
    """Read, analyse and summarise one image: fleet.work.run."""
    from .work import run

    return run(job)
