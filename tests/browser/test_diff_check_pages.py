"""The diff and check pages in a real Chromium: no console error or request, and the figures
the JSON reports (and the engine) give: both sides with their deltas, the changed bytes by
directory, the waste that appeared or disappeared; each budget's verdict and contributors."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from . import chrome
from .conftest import write_reports

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def diff_page(browser, tmp_path_factory):
    page, document = write_reports(tmp_path_factory.mktemp("html-diff"), "diff", "size:v1",
                                   "size:v2")
    chrome.console(browser), chrome.requests(browser)
    chrome.open_page(browser, page)
    return page, document


def test_diff_loads_clean(browser, diff_page):
    page, _ = diff_page
    assert [entry for entry in chrome.console(browser) if entry["level"] != "INFO"] == []
    assert chrome.requests(browser) == [page.resolve().as_uri()]


def test_diff_headline_has_both_sides_and_their_deltas(browser, diff_page, engine):
    _, document = diff_page
    size_a = engine.api.inspect_image("size:v1")["Size"]
    size_b = engine.api.inspect_image("size:v2")["Size"]
    for name, key in (("size", "size"), ("visible", "visible_bytes"), ("wasted", "wasted_bytes")):
        row = browser.find_element(By.CSS_SELECTOR, f"#headline-table tr[data-figure='{name}']")
        a, b, delta = (int(c.get_attribute("data-bytes"))
                       for c in row.find_elements(By.CSS_SELECTOR, "td[data-bytes]"))
        assert (a, b) == (document["a"][key], document["b"][key])
        assert delta == b - a
        if name == "size":
            assert (a, b) == (size_a, size_b)


def test_diff_map_holds_every_changed_byte(browser, diff_page):
    _, document = diff_page
    # the map's root is the bytes of every changed file: B's size where added or changed, A's
    # where removed
    expected = sum(f["size_a"] if f["change"] == "removed" else f["size_b"]
                   for f in document["files"])
    assert int(browser.find_element(By.ID, "map-zoomed").get_attribute("data-bytes")) == expected


def test_diff_waste_table_lists_what_appeared_and_disappeared(browser, diff_page):
    _, document = diff_page
    count = browser.find_element(By.ID, "waste-table-count")
    assert int(count.get_attribute("data-matches")) == len(document["waste"]) > 0
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#waste-table tbody tr'))"
        ".map(function (r) { return r.children[1].textContent; });")
    assert shown and set(shown) == {w["change"] for w in document["waste"][:len(shown)]}


@pytest.fixture(scope="module")
def check_page(browser, tmp_path_factory):
    page, document = write_reports(tmp_path_factory.mktemp("html-check"), "check", "size:v2",
                                   "--max-size", "500MB", "--max-wasted", "1GB")
    chrome.console(browser), chrome.requests(browser)
    chrome.open_page(browser, page)
    return page, document


def test_check_shows_each_budgets_verdict(browser, check_page, engine):
    page, document = check_page
    assert [entry for entry in chrome.console(browser) if entry["level"] != "INFO"] == []
    assert chrome.requests(browser) == [page.resolve().as_uri()]
    # docker's size of v2 (over 600 MB) is over 500 MB; its waste is far under 1 GB
    assert engine.api.inspect_image("size:v2")["Size"] > 500_000_000
    verdict = browser.find_element(By.ID, "verdict-line")
    assert verdict.get_attribute("data-status") == "fail" and "FAIL" in verdict.text
    budgets = {b.get_attribute("data-budget"): b for b in
               browser.find_elements(By.CSS_SELECTOR, "article.budget")}
    assert {name: b.get_attribute("data-status") for name, b in budgets.items()} == \
        {"max-size": "fail", "max-wasted": "pass"}
    for item in document["budgets"]:
        article = budgets[item["name"]]
        measured = article.find_element(By.CSS_SELECTOR, "strong[data-measured]")
        assert measured.get_attribute("data-measured") == str(item["measured"])
        rows = article.find_elements(By.CSS_SELECTOR, "tbody tr")
        assert len(rows) == len(item["contributors"])
        for row, contributor in zip(rows, item["contributors"]):
            assert row.find_elements(By.TAG_NAME, "td")[1].text == contributor["label"]
