"""Every advice rule: registered, documented, one image it fires on and one it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from layerscope.analysis.image_report import analyze
from layerscope.rules import RuleOptions, registry, run_rules
from tests.analysis.conftest import build_image
from tests.imagebuilder import directory, file, whiteout

DOCS = Path(__file__).parent.parent.parent / "docs" / "rules"
BASE = ("/bin/sh -c #(nop) COPY file:abc in / ", [file("bin/busybox", b"b" * 1000)])
CMD = ('/bin/sh -c #(nop)  CMD ["sh"]', None)

STATUS_BASE = (b"Package: libc6\nStatus: install ok installed\nVersion: 2.36\n"
               b"Installed-Size: 10\n\n")
STATUS_DEV = STATUS_BASE + (b"Package: tool\nStatus: install ok installed\nVersion: 1\n"
                            b"Installed-Size: 1\nDepends: libc6\nRecommends: gcc-12\n\n"
                            b"Package: gcc-12\nStatus: install ok installed\nVersion: 12\n"
                            b"Installed-Size: 3\nDepends: libc6\n\n")
STATUS_TOOL = STATUS_BASE + (b"Package: tool\nStatus: install ok installed\nVersion: 1\n"
                             b"Installed-Size: 1\nDepends: libc6\n\n")
LISTS = {"/var/lib/dpkg/info/tool.list": b"/.\n/usr/bin/tool\n",
         "/var/lib/dpkg/info/gcc-12:amd64.list": b"/.\n/usr/bin/gcc-12\n"}


def image(*user_steps):
    base = (BASE[0], BASE[1], {"/var/lib/dpkg/status": STATUS_BASE})
    return build_image(base, CMD, *user_steps)


def install(flag=""):
    files = [file("usr/bin/tool", b"t" * 500), file("var/lib/dpkg/status", STATUS_DEV)]
    captured = {"/var/lib/dpkg/status": STATUS_DEV, **LISTS,
                "/var/lib/apt/extended_states": b"Package: gcc-12\nAuto-Installed: 1\n\n"}
    if not flag:
        files.append(file("usr/bin/gcc-12", b"g" * 3000))
    else:
        captured = {"/var/lib/dpkg/status": STATUS_TOOL,
                    "/var/lib/dpkg/info/tool.list": LISTS["/var/lib/dpkg/info/tool.list"]}
    return (f"/bin/sh -c apt-get install -y {flag} tool".replace("  ", " "), files, captured)


CASES = {
    "LS001": (
        image(("/bin/sh -c make", [file("tmp/build/a.o", b"x" * 700)]),
              ("/bin/sh -c rm -rf /tmp/build", [whiteout("tmp/build")])),
        image(("/bin/sh -c make && rm -rf /tmp/build", [file("usr/bin/app", b"x" * 70)])),
    ),
    "LS002": (
        image(("/bin/sh -c #(nop) COPY dir:abc in /src ", [file("src/w.whl", b"w" * 900)]),
              ("/bin/sh -c rm -rf /src", [whiteout("src")])),
        image(("/bin/sh -c #(nop) COPY dir:abc in /src ", [file("src/w.whl", b"w" * 900)])),
    ),
    "LS003": (
        image(("/bin/sh -c head -c 800 > /opt/m.bin", [file("opt/m.bin", b"m" * 800)]),
              ("/bin/sh -c chmod 600 /opt/m.bin", [file("opt/m.bin", b"m" * 800, mode=0o600)])),
        image(("/bin/sh -c head -c 800 > /opt/m.bin && chmod 600 /opt/m.bin",
               [file("opt/m.bin", b"m" * 800, mode=0o600)])),
    ),
    "LS004": (
        image(("/bin/sh -c apt-get update", [file("var/lib/apt/lists/x_Packages", b"p" * 600)])),
        image(("/bin/sh -c apt-get update && rm -rf /var/lib/apt/lists/*",
               [directory("var/lib/apt/lists")])),
    ),
    "LS005": (
        image(("/bin/sh -c pip install x", [file("root/.cache/pip/wheels/x.whl", b"c" * 400),
                                            file("usr/lib/x.py", b"x")])),
        image(("/bin/sh -c pip install --no-cache-dir x", [file("usr/lib/x.py", b"x")])),
    ),
    "LS006": (image(install()), image(install("--no-install-recommends"))),
    "LS007": (image(install()), image(install("--no-install-recommends"))),
    "LS008": (
        image(("/bin/sh -c gen 1", [file("srv/app.js", b"1" * 300)]),
              ("/bin/sh -c gen 2", [file("srv/app.js", b"2" * 200)])),
        image(("/bin/sh -c gen 2", [file("srv/app.js", b"2" * 200)])),
    ),
}


def findings_of(img, rule_id):
    return [f for f in run_rules(analyze(img)) if f.rule == rule_id and not f.base]


def test_every_rule_has_a_doc_page_and_cases():
    rules = registry()
    assert list(rules) == sorted(rules) and len(rules) >= 8
    assert set(CASES) == set(rules), "add a firing and a non-firing case for every rule"
    for rule_id, rule in rules.items():
        page = DOCS / f"{rule_id}.md"
        assert page.is_file(), f"docs/rules/{rule_id}.md is missing"
        assert rule.title in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires(rule_id):
    found = findings_of(CASES[rule_id][0], rule_id)
    assert found, f"{rule_id} did not fire"
    for f in found:
        assert f.severity in ("error", "warning", "info") and f.fix and f.steps
        assert f.estimated_saving_bytes is None or f.estimated_saving_bytes > 0


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_does_not_fire(rule_id):
    assert findings_of(CASES[rule_id][1], rule_id) == []


def test_exact_savings():
    assert findings_of(CASES["LS001"][0], "LS001")[0].estimated_saving_bytes == 700
    assert findings_of(CASES["LS001"][0], "LS001")[0].steps == (2, 3)
    assert findings_of(CASES["LS002"][0], "LS002")[0].estimated_saving_bytes == 900
    assert findings_of(CASES["LS003"][0], "LS003")[0].estimated_saving_bytes == 800
    assert findings_of(CASES["LS004"][0], "LS004")[0].estimated_saving_bytes == 600
    assert findings_of(CASES["LS008"][0], "LS008")[0].estimated_saving_bytes == 300
    recommends = findings_of(CASES["LS006"][0], "LS006")[0]
    # /usr/bin/gcc-12 (3,000) and gcc-12's stanza in dpkg's status (16 + 29 + 12 + 18 + 15
    # bytes of fields and the blank line after them: 91)
    assert recommends.estimated_saving_bytes == 3091 and recommends.packages == ("gcc-12",)


def test_each_dead_pair_goes_to_one_rule():
    found = run_rules(analyze(CASES["LS002"][0]))
    assert [f.rule for f in found] == ["LS002"]


def test_ignore_and_base_findings_are_apart():
    img = build_image(
        ("/bin/sh -c #(nop) ADD file:abc in / ", [file("etc/apt/sources.list", b"s" * 50)]),
        CMD, ("/bin/sh -c echo deb > /etc/apt/sources.list", [file("etc/apt/sources.list", b"d")]),
        ("/bin/sh -c make", [file("tmp/a.o", b"x" * 10)]), ("/bin/sh -c rm /tmp/a.o",
                                                            [whiteout("tmp/a.o")]))
    found = run_rules(analyze(img))
    assert [(f.rule, f.base) for f in found] == [("LS001", False), ("LS008", True)]
    assert found[1].steps == (0, 2) and found[1].estimated_saving_bytes == 50
    assert run_rules(analyze(img), RuleOptions(ignore=frozenset({"LS001"})))[0].rule == "LS008"


def test_a_base_file_your_step_rewrote_says_what_avoids_it():
    img = build_image(
        ("/bin/sh -c #(nop) ADD file:abc in / ", [file("etc/motd", b"m" * 40),
                                                  file("var/lib/dpkg/status", b"s" * 900)]),
        CMD, ("/bin/sh -c apt-get install -y tool && echo hi > /etc/motd",
              [file("etc/motd", b"h" * 3), file("var/lib/dpkg/status", b"t" * 950)]))
    (churn,) = [f for f in run_rules(analyze(img)) if f.base]
    assert (churn.rule, churn.steps, churn.estimated_saving_bytes) == ("LS008", (0, 2), 940)
    assert churn.fix == (
        "your step 2 rewrote or removed files the base image wrote (/etc/motd); the old copies "
        "stay in the base layer: leave the base's files as they are (add a file of your own "
        "instead of editing one); rewrote package-manager files (/var/lib/dpkg/status) that every "
        "apt-get or dpkg run rewrites: the base's copies die with the first step that installs "
        "packages, so no Dockerfile change avoids this short of a base that already has the "
        "packages (more install steps add churn of your own: install in one RUN)")


def test_bytes_the_base_replaced_itself_need_another_base():
    img = build_image(
        ("/bin/sh -c #(nop) ADD file:abc in / ", [file("etc/motd", b"m" * 40)]),
        ("/bin/sh -c echo hi > /etc/motd", [file("etc/motd", b"h" * 3)]),
        CMD, ("/bin/sh -c make", [file("usr/bin/app", b"a" * 5)]))
    (churn,) = [f for f in run_rules(analyze(img)) if f.base]
    assert churn.fix == ("the base image wrote these bytes and replaced them itself; only "
                         "another base avoids them")


def test_overlapping_findings_count_each_version_once():
    # gcc-12 (3,000 bytes in /usr/bin/gcc-12) is both a Recommends (LS006, which also counts
    # its 91-byte stanza in dpkg's status) and a toolchain package (LS007): 3,091 + 3,000
    # estimated, 3,091 removed by the fixes together
    from layerscope.formats.base import RenderOptions
    from layerscope.formats.text import render_advise
    from layerscope.rules.advise import advise

    report = advise(analyze(image(install())))
    assert [(f.rule, f.estimated_saving_bytes) for f in report.user_findings] == [
        ("LS006", 3091), ("LS007", 3000)]
    assert (report.savings.every_fix, report.savings.mechanical) == (3091, 3091)
    text = render_advise(report, RenderOptions())
    assert "Findings (2, up to 3.1 kB to save with every fix, each byte counted once)\n" in text


def test_savings_union_by_version_and_never_above_the_user_layers():
    from layerscope.rules.base import Finding
    from layerscope.rules.savings import savings, together

    def finding(rule, estimate, removes, base=False):
        return Finding(rule, "warning", "t", estimate, (1,), (), "fix", base=base,
                       removes=removes)

    fold = finding("LS001", 700, ((1, "/tmp/a.o", 500), (1, "/tmp/b.o", 200)))
    # the same path in another layer is another version; (1, /tmp/a.o) is counted once
    churn = finding("LS008", 800, ((1, "/tmp/a.o", 500), (2, "/tmp/a.o", 300)))
    unlisted = finding("LS007", 50, ())  # no file lists: its estimate counts as it is
    base = finding("LS008", 9000, ((0, "/etc/x", 9000),), base=True)
    assert together([fold, churn, unlisted], 10_000) == 500 + 200 + 300 + 50
    assert together([fold, churn], 900) == 900
    found = savings([fold, churn, unlisted, base], 10_000)
    assert (found.every_fix, found.mechanical, found.touchable) == (1050, 700, 10_000)
