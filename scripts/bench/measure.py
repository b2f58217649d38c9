"""Running a command and measuring it: wall time, CPU time, peak RSS, a timeout; and the rows of
runs the report is made of. Runs are round-robin across the tools of a row group (groups.py) so
that a burst of load from other processes hits every tool alike. Wall time is min/median over
--runs; peak RSS is the command's maxrss as GNU time (/usr/bin/time) reports it, or the sum over
its process tree sampled every 20 ms if that is larger (workers)."""

import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import WORK, say

TIME = "/usr/bin/time"


@dataclass
class Run:
    """One run of one command."""
    wall: float              # seconds, start to exit
    rss_kb: int              # peak resident set (see measure())
    cpu: float               # user + system seconds
    rc: int                  # exit status
    timed_out: bool = False  # stopped by the timeout (wall is then a lower bound)


def _tree_rss_kb(pid: int) -> int:
    """Resident set of pid's descendants (not pid itself: /usr/bin/time), in KiB."""
    total, stack, page_kb = 0, [pid], os.sysconf("SC_PAGE_SIZE") // 1024
    while stack:
        p = stack.pop()
        try:
            if p != pid:
                with open(f"/proc/{p}/statm") as f:
                    total += int(f.read().split()[1]) * page_kb
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            pass
    return total


def measure(cmd: list[str], env: dict | None = None, timeout: float = 1800,
            log: Path | None = None) -> Run:
    """Runs cmd under GNU time for its peak RSS. Not os.wait4 on our own child: a child forked
    (or vforked) from this process inherits this process's high-water mark until exec, so its
    ru_maxrss would never be below bench.py's own size. GNU time is small, and what it reports
    is its child's. A sampler adds the process tree's summed RSS (worker processes)."""
    out = open(log, "wb") if log else subprocess.DEVNULL
    fd, time_out = tempfile.mkstemp(prefix="time-", dir=WORK)
    os.close(fd)
    try:
        t0 = time.perf_counter()
        child = subprocess.Popen([TIME, "-q", "-o", time_out, "-f", "%M", *cmd], stdout=out,
                                 stderr=subprocess.STDOUT if log else out,
                                 stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        peak = [0]
        done = threading.Event()
        timed_out = [False]

        def sample() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], _tree_rss_kb(child.pid))
                if time.perf_counter() - t0 > timeout and not timed_out[0]:
                    timed_out[0] = True
                    os.killpg(child.pid, signal.SIGKILL)    # our own child's process group

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        try:
            maxrss = int(Path(time_out).read_text().split()[-1])
        except (ValueError, IndexError):
            maxrss = 0
    finally:
        if log:
            out.close()
        os.unlink(time_out)
    return Run(wall, max(maxrss, peak[0]), usage.ru_utime + usage.ru_stime,
               child.returncode, timed_out[0])


def run_text(cmd: list[str], env: dict | None = None) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout


def prewarm(path: Path) -> None:
    """Reads the archive once so that every tool starts with it in the page cache."""
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(1 << 23)
        while handle.readinto(buffer):
            pass


@dataclass
class Row:
    """The runs of one command on one input: a line of the results table."""
    group: str           # the input (or engine/startup), with HALF for the scaling group
    label: str           # what ran
    runs: list = field(default_factory=list)
    load: list = field(default_factory=list)
    note: str = ""

    def ok(self) -> list[Run]:
        return [r for r in self.runs if r.rc == 0 and not r.timed_out]

    def wall_min(self):
        ok = self.ok()
        return min(r.wall for r in ok) if ok else None

    def wall_median(self):
        ok = self.ok()
        return statistics.median(r.wall for r in ok) if ok else None

    def rss_mb(self):
        ok = self.ok()
        return max(r.rss_kb for r in ok) / 1024 if ok else None

    def timed_out(self):
        """The timeout, when every run of this row was stopped by it (a lower bound)."""
        stopped = [r for r in self.runs if r.timed_out]
        return None if self.ok() or not stopped else min(r.wall for r in stopped)

    def cpu_median(self):
        ok = self.ok()
        return statistics.median(r.cpu for r in ok) if ok else None


def find(rows: list[Row], group: str, prefix: str) -> Row | None:
    return next((r for r in rows if r.group == group and r.label.startswith(prefix)), None)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def verdict(ok) -> str:
    return "n/a" if ok is None else "PASS" if ok else "FAIL"


def ls_env(cache_dir: Path | None = None) -> dict:
    """The environment for a layerscope run, with its own cache directory when given."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["LAYERSCOPE_CACHE_DIR"] = str(cache_dir)
    return env


def measure_in_turn(rows: list, runs: int, timeout: float, group: str) -> list[Row]:
    """Each (Row, command) of `rows` run in turn, `runs` rounds, so load drift falls on all of
    them alike; a command that failed or timed out once is not run again."""
    for n in range(runs):
        for row, command in rows:
            if row.runs and (row.runs[-1].timed_out or row.runs[-1].rc != 0):
                continue
            row.load.append(os.getloadavg()[0])
            run = measure(command, timeout=timeout)
            row.runs.append(run)
            say(f"  {group:10s} {row.label:50s} run {n + 1}: {run.wall:7.2f} s exit {run.rc}")
    return [row for row, _ in rows]
