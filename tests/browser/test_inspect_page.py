"""The story's v2 inspect report in a real headless Chromium: it loads with no console error
and no request but its own file, shows the figures the JSON report (and the engine) give, and
clicking a step, zooming a directory, searching and sorting the table do what they should."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.inprocess import run_main

from . import chrome
from .conftest import write_reports

pytestmark = pytest.mark.engine

APT_INSTALL_STEP = 3
"""size:v2's `RUN apt-get install -y curl python3-pip` (sample_images/size/Dockerfile.v2):
history step 3 after the base (0), ARG (1) and the sources list (2)."""


DOCKERFILE = str(Path(__file__).parents[2] / "sample_images" / "story" / "Dockerfile.v2")


@pytest.fixture(scope="module")
def v2(browser, tmp_path_factory):
    """The v2 page opened, with the JSON report of the same run."""
    page, document = write_reports(tmp_path_factory.mktemp("html-v2"), "inspect", "size:v2",
                                   "--dockerfile", DOCKERFILE)
    chrome.console(browser), chrome.requests(browser)  # what earlier pages left
    chrome.open_page(browser, page)
    return page, document


def figure(browser, name: str) -> int:
    return int(browser.find_element(By.CSS_SELECTOR, f"[data-figure='{name}']")
               .get_attribute("data-bytes"))


def test_loads_with_no_console_error_and_no_request_but_itself(browser, v2):
    page, _ = v2
    assert [entry for entry in chrome.console(browser) if entry["level"] != "INFO"] == []
    assert chrome.requests(browser) == [page.resolve().as_uri()]


def test_headline_figures_are_the_json_reports_and_dockers(browser, v2, engine):
    _, document = v2
    image = document["image"]
    assert figure(browser, "size") == image["size"] == engine.api.inspect_image("size:v2")["Size"]
    assert figure(browser, "visible") == image["visible_bytes"]
    assert figure(browser, "wasted") == image["wasted_bytes"]
    assert figure(browser, "visible") + figure(browser, "wasted") == figure(browser, "size")
    assert figure(browser, "user_size") == image["user_size"]
    assert figure(browser, "user_wasted") == image["user_wasted_bytes"]


def test_the_steps_table_carries_every_steps_figures(browser, v2):
    _, document = v2
    rows = browser.find_elements(By.CSS_SELECTOR, "#steps-table tbody tr")
    assert len(rows) == len(document["steps"])
    for row, step in zip(rows, document["steps"]):
        cells = [int(c.get_attribute("data-bytes"))
                 for c in row.find_elements(By.CSS_SELECTOR, "td[data-bytes]")]
        assert cells == [step["size"], step["added_bytes"], step["replaced_bytes"],
                         step["deleted_lower_bytes"], step["dead_bytes"], step["live_bytes"]]
        assert row.find_element(By.CSS_SELECTOR, "code").get_attribute("textContent") \
            == step["instruction"]


def test_hovering_a_step_bar_gives_its_whole_instruction(browser, v2):
    _, document = v2
    bar = browser.find_element(By.CSS_SELECTOR, f"g.step[data-step='{APT_INSTALL_STEP}']")
    title = bar.find_element(By.TAG_NAME, "title").get_attribute("textContent")
    assert title.endswith(document["steps"][APT_INSTALL_STEP]["instruction"])


def test_clicking_a_step_highlights_its_files_and_its_dead_bytes(browser, v2):
    _, document = v2
    bar = browser.find_element(By.CSS_SELECTOR, f"g.step[data-step='{APT_INSTALL_STEP}']")
    bar.click()
    try:
        assert bar.get_attribute("aria-pressed") == "true"
        # the wasted table marks exactly the rows the step wrote or killed (of those shown)
        shown = len(chrome.attributes(browser, "#wasted-table tbody tr", "class"))
        marked = len(chrome.attributes(browser, "#wasted-table tbody tr.hl", "class"))
        expected = [w for w in document["wasted"][:shown]
                    if APT_INSTALL_STEP in (w["written_by_step"], w["killed_by_step"])]
        assert marked == len(expected) > 0
        # in the map, every segment but the step's is dimmed
        dimmed = set(chrome.attributes(browser, "#map-svg rect.seg.dim", "data-series"))
        lit = set(chrome.attributes(browser, "#map-svg rect.seg:not(.dim)", "data-series"))
        assert lit == {str(APT_INSTALL_STEP)} and str(APT_INSTALL_STEP) not in dimmed
    finally:
        bar.click()
    assert bar.get_attribute("aria-pressed") == "false"
    assert not browser.find_elements(By.CSS_SELECTOR, "#map-svg rect.seg.dim")


def test_a_step_is_selected_from_the_keyboard(browser, v2):
    bar = browser.find_element(By.CSS_SELECTOR, "g.step[data-step='2']")
    bar.send_keys(Keys.ENTER)
    assert bar.get_attribute("aria-pressed") == "true"
    bar.send_keys(Keys.SPACE)
    assert bar.get_attribute("aria-pressed") == "false"


def test_clicking_a_directory_zooms_into_it(browser, v2):
    _, document = v2
    usr = browser.find_element(By.CSS_SELECTOR, "#map-svg g.zoomable[data-path='/usr']")
    usr.click()
    zoomed = browser.find_element(By.ID, "map-zoomed")
    assert zoomed.get_attribute("data-path") == "/usr"
    # the dead bytes under /usr are the JSON's wasted files there, summed independently
    dead_here = sum(w["size"] for w in document["wasted"] if w["path"].startswith("/usr/"))
    cells = browser.find_elements(By.CSS_SELECTOR, "#map-table tbody tr")
    dead_shown = sum(int(r.find_elements(By.CSS_SELECTOR, "td[data-bytes]")[2]
                         .get_attribute("data-bytes")) for r in cells)
    assert dead_shown == dead_here > 0
    total_shown = sum(int(r.find_elements(By.CSS_SELECTOR, "td[data-bytes]")[0]
                          .get_attribute("data-bytes")) for r in cells)
    assert total_shown == int(zoomed.get_attribute("data-bytes"))
    # every node drawn now lies under /usr; the path above the map zooms back out
    paths = [g.get_attribute("data-path") for g in
             browser.find_elements(By.CSS_SELECTOR, "#map-svg g.node")]
    assert paths[0] == "/usr" and all(p.startswith("/usr") for p in paths)
    browser.find_element(By.CSS_SELECTOR, "nav.crumbs button.crumb").click()
    assert browser.find_element(By.ID, "map-zoomed").get_attribute("data-path") == "/"


def test_searching_the_wasted_table_keeps_the_matching_rows(browser, v2):
    _, document = v2
    search = browser.find_element(By.ID, "wasted-table-search")
    search.send_keys("APT/LISTS")
    try:
        expected = [w for w in document["wasted"] if "apt/lists" in w["path"].lower()]
        count = browser.find_element(By.ID, "wasted-table-count")
        assert int(count.get_attribute("data-matches")) == len(expected) > 0
        paths = browser.execute_script(
            "return Array.from(document.querySelectorAll('#wasted-table tbody td.path'))"
            ".map(function (e) { return e.textContent; });")
        assert sorted(paths) == sorted(w["path"] for w in expected)
    finally:
        search.clear()
        search.send_keys(" ", Keys.BACKSPACE)


def test_sorting_by_size_puts_the_biggest_wasted_file_first(browser, v2):
    _, document = v2
    header = browser.find_elements(By.CSS_SELECTOR, "#wasted-table thead button.sort")[1]
    header.click()
    sizes = [int(b) for b in chrome.attributes(browser, "#wasted-table tbody td[data-bytes]",
                                               "data-bytes")]
    assert sizes[0] == max(w["size"] for w in document["wasted"])
    assert sizes == sorted(sizes, reverse=True)
    header.click()
    sizes = [int(b) for b in chrome.attributes(browser, "#wasted-table tbody td[data-bytes]",
                                               "data-bytes")]
    assert sizes == sorted(sizes)


def test_findings_show_their_saving_and_fix(browser, v2):
    _, document = v2
    shown = browser.find_elements(By.CSS_SELECTOR, "li.finding")
    assert [f.get_attribute("data-rule") for f in shown] == [f["rule"] for f in document["findings"]]
    for item, finding in zip(shown, document["findings"]):
        saving = item.find_element(By.CSS_SELECTOR, "strong[data-bytes]").get_attribute("data-bytes")
        assert saving == str(finding["estimated_saving_bytes"])
        assert finding["fix"] in item.text


def test_the_dockerfile_patch_is_advise_patchs(browser, v2):
    _, document = v2
    code, patch = run_main("advise", "size:v2", "--dockerfile", DOCKERFILE, "--patch",
                           "--no-progress")
    # advise's first line sums the fixes up; the unified diff follows it
    assert code == 0 and patch.startswith(b"layerscope advise --patch: ") and b"\n--- " in patch
    shown = browser.find_element(By.ID, "patch").get_attribute("textContent")
    assert shown == patch.decode()
    # and each finding names its Dockerfile lines, as the JSON report's findings do
    for item, finding in zip(browser.find_elements(By.CSS_SELECTOR, "li.finding"),
                             document["findings"]):
        if finding["lines"]:
            assert "Dockerfile line " + ", ".join(map(str, finding["lines"])) in item.text


def test_a_directory_is_zoomed_from_the_keyboard(browser, v2):
    var = browser.find_element(By.CSS_SELECTOR, "#map-svg g.zoomable[data-path='/var']")
    assert var.get_attribute("tabindex") == "0" and "/var" in var.get_attribute("aria-label")
    var.send_keys(Keys.ENTER)
    try:
        assert browser.find_element(By.ID, "map-zoomed").get_attribute("data-path") == "/var"
    finally:
        browser.find_element(By.CSS_SELECTOR, "nav.crumbs button.crumb").send_keys(Keys.ENTER)
    assert browser.find_element(By.ID, "map-zoomed").get_attribute("data-path") == "/"


def test_printed_the_controls_go_and_the_tables_print_whole(browser, v2):
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        style = browser.execute_script(
            "var s = document.querySelector('label.search');"
            "var t = document.querySelector('#wasted-table').parentElement;"
            "return [getComputedStyle(s).display, getComputedStyle(t).maxHeight,"
            "        getComputedStyle(t).overflow];")
        assert style == ["none", "none", "visible"]
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
