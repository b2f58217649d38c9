"""Issue 7's targets, judged from the measured rows: (target, measured, PASS/FAIL/n/a/info)."""

from . import HALF, STORY
from .explore import explore_targets
from .fleet import fleet_targets
from .html import html_targets
from .measure import Row, find, ratio, verdict
from .podman import podman_targets
from .registry import registry_targets, registry_toc_targets


def _speed(name: str, cold: Row, dive: Row | None) -> tuple[str, str, str]:
    if dive and dive.timed_out() and cold.wall_median():
        w = cold.wall_median() / dive.timed_out()
        return (f"{name}: inspect wall <= 0.5 x dive",
                f"< {w:.3f}x (dive stopped after {dive.timed_out():.0f} s)", verdict(w <= 0.5))
    w = ratio(cold.wall_median(), dive.wall_median() if dive else None)
    return (f"{name}: inspect wall <= 0.5 x dive",
            f"{w:.2f}x" if w is not None else "dive or layerscope failed",
            verdict(None if w is None else w <= 0.5))


def _memory(name: str, cold: Row, dive: Row | None) -> list[tuple[str, str, str]]:
    out = []
    m = ratio(cold.rss_mb(), dive.rss_mb() if dive and not dive.timed_out() else None)
    if dive and dive.timed_out() and cold.rss_mb():
        stopped = max(x.rss_kb for x in dive.runs) / 1024
        m = None
        out.append((f"{name}: peak RSS vs dive", f"{cold.rss_mb():.0f} MB; dive had reached "
                    f"{stopped:.0f} MB when stopped", "PASS" if cold.rss_mb() <= stopped
                    else "n/a"))
    if name in STORY:
        out.append((f"{name}: peak RSS (reported)", f"{m:.2f}x dive" if m else "-", "info"))
    elif m is not None or not (dive and dive.timed_out()):
        out.append((f"{name}: peak RSS <= dive", f"{m:.2f}x dive" if m else "-",
                    verdict(None if m is None else m <= 1)))
    return out


def _rss_per_file(name: str, rows: list[Row], files: int, cold: Row) -> list[tuple[str, str, str]]:
    st = find(rows, "startup", "layerscope")
    base = st.rss_mb() if st and st.rss_mb() else 0
    per = (cold.rss_mb() - base) * 1048576 / files if cold.rss_mb() else None
    out = [(f"{name}: peak RSS grows < 1 KB per file",
            f"{per:.0f} B/file ((peak - start-up RSS {base:.0f} MB) / {files:,} file "
            f"versions)" if per is not None else "-",
            verdict(None if per is None else per < 1024))]
    if files >= 1_000_000 and cold.rss_mb():
        out.append((f"{name}: a {files:,}-file image under 1 GB RSS",
                    f"{cold.rss_mb():.0f} MB", verdict(cold.rss_mb() < 1024)))
    return out


def _dive_growth(dive: Row | None, half_dive: Row | None) -> str:
    if half_dive and half_dive.wall_min() and dive and dive.wall_min():
        return f" (dive: {dive.wall_min() / half_dive.wall_min():.2f}x)"
    if half_dive and half_dive.timed_out():
        return f" (dive stopped after {half_dive.timed_out():.0f} s at half scale)"
    return ""


def _linear(name: str, rows: list[Row], inputs: dict, cold: Row,
            dive: Row | None) -> list[tuple[str, str, str]]:
    half = find(rows, name + HALF, "layerscope inspect --no-cache")
    hi = inputs.get(name + HALF)
    if not (half and half.wall_min() and cold.wall_min() and hi):
        return []
    growth = cold.wall_min() / half.wall_min()      # min: least disturbed by load
    work = inputs[name]["files"] / hi["files"]
    text = (f"{growth:.2f}x the time for {work:.2f}x the files and "
            f"{inputs[name]['size'] / hi['size']:.2f}x the bytes")
    text += _dive_growth(dive, find(rows, name + HALF, "dive"))
    return [(f"{name}: time linear (full vs half scale, wall min)", text,
             verdict(growth <= work * 1.15))]


def targets(rows: list[Row], inputs: dict) -> list[tuple[str, str, str]]:
    """(target, measured, PASS/FAIL/n.a.) for issue 7's targets."""
    out = []
    for name in [*STORY, "big-churn", "many-small"]:
        cold, dive = find(rows, name, "layerscope inspect --no-cache"), find(rows, name, "dive")
        warm = find(rows, name, "layerscope inspect (cached)")
        if not cold:
            continue
        out.append(_speed(name, cold, dive))
        out += _memory(name, cold, dive)
        if name not in STORY:
            out += _rss_per_file(name, rows, inputs[name]["files"], cold)
            out += _linear(name, rows, inputs, cold, dive)
        c = ratio(warm.wall_median() if warm else None, cold.wall_median())
        out.append((f"{name}: cached inspect <= 0.1 x cold", f"{c:.2f}x" if c else "-",
                    verdict(None if c is None else c <= 0.1)))
    out += engine_targets(rows)
    out += podman_targets(rows)
    st = find(rows, "startup", "layerscope")
    if st and st.wall_median() is not None:
        out.append(("start-up: layerscope --version < 0.15 s", f"{st.wall_median():.3f} s",
                    verdict(st.wall_median() < 0.15)))
    out += registry_targets(rows)
    out += registry_toc_targets(rows)
    out += html_targets(rows)
    out += explore_targets(rows)
    out += fleet_targets(rows)
    out.append(("diff of two images sharing a base reads no indexed layer",
                "a correctness property, tested: tests/sources/test_cache_reuse.py", "n/a"))
    return out


def engine_targets(rows) -> list[tuple[str, str, str]]:
    """Issue 14: the store path against docker save and dive from the engine, on the story's v1
    and on big-churn's 300k files; the export path (issue 7's target) beside it."""
    out = []
    for group, image, name in (("engine", "size:v1", "size:v1"),
                               ("engine-big", "bench/big-churn:latest", "big-churn")):
        store = find(rows, group, f"layerscope inspect {image} --no-cache (engine)")
        export = find(rows, group, f"layerscope inspect {image} --no-cache --export")
        save, dive = find(rows, group, "docker save"), find(rows, group, "dive")
        for label, row, other, limit in (
                (f"engine: inspect {name} (store) <= 0.15 x docker save", store, save, 0.15),
                (f"engine: inspect {name} (store) <= 0.15 x dive from the engine", store, dive,
                 0.15),
                (f"engine: inspect {name} --export <= 1.2 x docker save", export, save, 1.2)):
            if row and other and other.timed_out() and row.wall_median():
                bound = row.wall_median() / other.timed_out()  # it ran longer than the timeout
                out.append((label, f"< {bound:.3f}x (stopped after {other.timed_out():.0f} s)",
                            verdict(bound <= limit)))
            elif row and other:
                r = ratio(row.wall_median(), other.wall_median())
                out.append((label, f"{r:.2f}x" if r else "-",
                            verdict(None if r is None else r <= limit)))
    return out
