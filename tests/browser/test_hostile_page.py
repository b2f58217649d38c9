"""An image whose names and instructions are hostile: markup and script in paths, an
instruction of 200,000 characters that tries to close the page's script, a file name that is
not UTF-8. In a real Chromium, each is shown as text; no script of theirs runs, no element of
theirs appears, the page does not break."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.imagebuilder import ImageSpec, Step, file, whiteout, write_docker_archive

from . import chrome
from .conftest import write_reports

IMG = "<img src=x onerror=\"window.pwned='img'\">"
SCRIPT = "</script><script>window.pwned='script'</script>"
HUGE = "RUN echo " + SCRIPT + " " + "x" * 200_000 + " " + IMG
NOT_UTF8 = "/data/caf\udce9.txt"          # the bytes b"caf\xe9": Latin-1, not UTF-8
NOT_UTF8_SHOWN = "/data/caf\\xe9.txt"      # how the page writes it: its byte, escaped

HOSTILE = ImageSpec(
    repo_tag="html-hostile:latest",
    steps=(
        Step("ADD rootfs / " + IMG, (file(f"/www/{IMG}", b"a" * 300),
                                      file(f"/www/{SCRIPT}/x", b"b" * 200),
                                      file(NOT_UTF8, b"c" * 100))),
        Step(HUGE, (whiteout(f"/www/{IMG}"), whiteout(NOT_UTF8))),
    ),
)


@pytest.fixture(scope="module")
def hostile(browser, tmp_path_factory):
    directory = tmp_path_factory.mktemp("html-hostile")
    archive = write_docker_archive(HOSTILE, directory / "hostile.tar")
    page, document = write_reports(directory, "inspect", str(archive))
    chrome.console(browser), chrome.requests(browser)
    chrome.open_page(browser, page)
    return page, document


def test_nothing_of_the_images_runs_or_loads(browser, hostile):
    page, _ = hostile
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, "#report img, #report script") == []
    assert [entry for entry in chrome.console(browser) if entry["level"] != "INFO"] == []
    assert chrome.requests(browser) == [page.resolve().as_uri()]


def test_hostile_paths_are_shown_as_text(browser, hostile):
    _, document = hostile
    paths = browser.execute_script(
        "return Array.from(document.querySelectorAll('#wasted-table td.path'))"
        ".map(function (e) { return e.textContent; });")
    assert sorted(paths) == sorted([f"/www/{IMG}", NOT_UTF8_SHOWN])
    # the JSON report carries the same two dead versions (its names as JSON escapes)
    assert sorted(w["size"] for w in document["wasted"]) == [100, 300]


def test_the_huge_instruction_is_kept_whole_as_text(browser, hostile):
    texts = browser.execute_script(
        "return Array.from(document.querySelectorAll('#steps-table td.instruction code'))"
        ".map(function (e) { return e.textContent; });")
    assert HUGE in texts
    assert f"ADD rootfs / {IMG}" in texts


def test_the_map_names_hostile_entries_as_text(browser, hostile):
    www = browser.find_element(By.CSS_SELECTOR, "#map-svg g.zoomable[data-path='/www']")
    www.click()
    names = browser.execute_script(
        "return Array.from(document.querySelectorAll('#map-table td.path'))"
        ".map(function (e) { return e.textContent; });")
    # the dead <img> file (300 bytes, shown where it was written) and the directory "<" that
    # the script path's slashes make (200 bytes under it), biggest first
    assert names == [IMG, "</"]
    assert browser.execute_script("return window.pwned === undefined")
