"""Issue 19's scale figures: the HTML report of the 1,000,000-file many-small image, its size
(at most 15 MB) and its first paint in headless Chromium (at most 3 s), and the time to write it.

First paint is the browser's own first-contentful-paint entry for a page loaded from file://
(navigation start to the first text drawn); the page draws everything in one script run at
load, so it is also when the report is on screen. The browser is Debian's chromium, driven
by selenium (scripts/browser.sh installs it)."""

from pathlib import Path

from . import VENV_BIN, WORK, say
from .measure import Row, Run, find, ls_env, measure

GROUP = "html"
REPORT_LABEL = "layerscope inspect -o report.html"
PAINT_LABEL = "first paint (headless chromium, file://)"
MAX_BYTES = 15_000_000
MAX_PAINT = 3.0


def bench_html(inputs: dict, args) -> list[Row]:
    """Writes many-small's HTML report --runs times, then opens it --runs times."""
    info = inputs["many-small"]
    page = WORK / "many-small-report.html"
    report = Row(GROUP, REPORT_LABEL)
    cache = WORK / "html-cache"
    for _ in range(args.runs):
        report.runs.append(measure([str(VENV_BIN / "layerscope"), "inspect", str(info["path"]),
                                    "--no-progress", "-o", str(page)],
                                   env=ls_env(cache), timeout=args.timeout,
                                   log=WORK / "logs" / "html-report.log"))
    if not page.exists():
        return [report]
    megabytes = page.stat().st_size / 1e6
    report.note = f"report {page.stat().st_size:,} bytes ({megabytes:.1f} MB), {info['files']:,} files"
    paint = Row(GROUP, PAINT_LABEL)
    for _ in range(args.runs):
        paint.runs.append(first_paint(page))
    return [report, paint]


def first_paint(page: Path) -> Run:
    """One cold load in a fresh headless Chromium: wall = first contentful paint, in seconds."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900"):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"),
                               options=options)
    try:
        browser.get(page.resolve().as_uri())
        WebDriverWait(browser, 60).until(lambda b: b.execute_script(
            "return document.getElementById('report').getAttribute('data-ready')") == "true")
        WebDriverWait(browser, 60).until(lambda b: b.execute_script(
            "return performance.getEntriesByName('first-contentful-paint').length"))
        paint_ms = browser.execute_script(
            "return performance.getEntriesByName('first-contentful-paint')[0].startTime")
    except Exception as error:  # noqa: BLE001 - a failed load is a failed run, said in the log
        say(f"html: loading {page.name} failed: {error}")
        return Run(0.0, 0, 0.0, 1)
    finally:
        browser.quit()
    return Run(paint_ms / 1000, 0, 0.0, 0)


def html_targets(rows: list[Row]) -> list[tuple[str, str, str]]:
    """The size and first-paint targets, from the rows bench_html made."""
    report, paint = find(rows, GROUP, REPORT_LABEL), find(rows, GROUP, PAINT_LABEL)
    out = []
    if report and report.note:
        size = int(report.note.split()[1].replace(",", ""))
        out.append(("many-small: HTML report <= 15 MB", f"{size / 1e6:.1f} MB",
                    "PASS" if size <= MAX_BYTES else "FAIL"))
    if paint and paint.wall_median() is not None:
        out.append(("many-small: HTML first paint <= 3 s (headless chromium)",
                    f"{paint.wall_median():.2f} s", "PASS" if paint.wall_median() <= MAX_PAINT
                    else "FAIL"))
    return out
