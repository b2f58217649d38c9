"""A real headless Chromium (Debian's, through chromedriver) driven by selenium, with what the
tests read back: the console, every network request, the page's own timings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def start():
    """A headless Chromium whose console and DevTools network events can be read; fails loudly
    when Debian's chromium and chromium-driver are missing (scripts/browser.sh installs them)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or driver is None:
        raise RuntimeError("chromium and chromedriver are needed: run scripts/browser.sh "
                           "(Debian's chromium and chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--allow-file-access-from-files"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def open_page(browser, path: Path) -> None:
    """Load a report from file:// and wait until its script has drawn it."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 30).until(
        lambda b: b.execute_script("return document.getElementById('report')"
                                   ".getAttribute('data-ready')") == "true")


def console(browser) -> list[dict]:
    """The console entries since the last call (errors, CSP violations, warnings)."""
    return browser.get_log("browser")


def requests(browser) -> list[str]:
    """The URL of every request the page made since the last call, from DevTools' Network
    events (the document itself included)."""
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def attributes(browser, selector: str, name: str) -> list[str | None]:
    """An attribute of every element matching a CSS selector, in one round trip."""
    return browser.execute_script(
        "var name = arguments[1]; return Array.from(document.querySelectorAll(arguments[0]))"
        ".map(function (e) { return e.getAttribute(name); });", selector, name)
