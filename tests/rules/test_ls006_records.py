"""LS006 counts what a Recommends-only package costs beyond its listed files: its dpkg control
files, the files its maintainer scripts generate, its stanzas in dpkg's and debconf's records,
and debconf's backups when only it changed debconf's database. The image: a base with libc6
and one debconf question; a step that installs `tool`, whose Recommends pulled in `certs`."""

from __future__ import annotations

from layerscope.analysis.image_report import analyze
from layerscope.rules import run_rules
from tests.analysis.conftest import build_image
from tests.imagebuilder import file

BASE = ("/bin/sh -c #(nop) COPY file:abc in / ", [file("bin/busybox", b"b" * 1000)])
CMD = ('/bin/sh -c #(nop)  CMD ["sh"]', None)
DEBCONF = "/var/cache/debconf/"

LIBC6 = b"Package: libc6\nStatus: install ok installed\nVersion: 2.36\nInstalled-Size: 10\n\n"
TOOL = (b"Package: tool\nStatus: install ok installed\nVersion: 1\nInstalled-Size: 1\n"
        b"Depends: libc6\nRecommends: certs\n\n")
CERTS = b"Package: certs\nStatus: install ok installed\nVersion: 1\nInstalled-Size: 2\n\n"
LIBC6_QUESTION = b"Name: libc6/restart\nTemplate: libc6/restart\nOwners: libc6\n\n"
CERTS_QUESTION = b"Name: certs/trust\nTemplate: certs/trust\nOwners: certs\n\n"
TOOL_QUESTION = b"Name: tool/mode\nTemplate: tool/mode\nOwners: tool\n\n"
CERTS_TEMPLATE = b"Name: certs/trust\nType: boolean\nOwners: certs/trust\n\n"
TOOL_TEMPLATE = b"Name: tool/mode\nType: string\nOwners: tool/mode\n\n"
LISTS = {"/var/lib/dpkg/info/tool.list": b"/.\n/usr\n/usr/bin\n/usr/bin/tool\n/lib\n"
                                         b"/lib/x86_64-linux-gnu/libtool.so.1\n",
         "/var/lib/dpkg/info/certs.list": b"/.\n/etc\n/etc/certs\n/usr/bin/certs-update\n"}


def built(tool_asks: bool = False):
    """The image; with `tool_asks`, tool registers a debconf question of its own too."""
    base_records = {"/var/lib/dpkg/status": LIBC6, DEBCONF + "config.dat": LIBC6_QUESTION,
                    DEBCONF + "templates.dat": b"",
                    "/var/lib/dpkg/info/libc6:amd64.list": b"/.\n/etc\n/etc/ld.so.conf\n"}
    config = LIBC6_QUESTION + CERTS_QUESTION + (TOOL_QUESTION if tool_asks else b"")
    templates = CERTS_TEMPLATE + (TOOL_TEMPLATE if tool_asks else b"")
    records = {"/var/lib/dpkg/status": LIBC6 + TOOL + CERTS,
               DEBCONF + "config.dat": config, DEBCONF + "config.dat-old": LIBC6_QUESTION,
               DEBCONF + "templates.dat": templates,
               DEBCONF + "templates.dat-old": b"#" * 30,
               "/var/lib/apt/extended_states": b"Package: certs\nAuto-Installed: 1\n\n"}
    captured = {**records, **LISTS}
    files = [file(path.lstrip("/"), data) for path, data in captured.items()]
    files += [file("var/lib/dpkg/status-old", LIBC6 + TOOL),  # written, not captured
              file("usr/bin/tool", b"t" * 500),
              file("usr/lib/x86_64-linux-gnu/libtool.so.1", b"l" * 70),  # tool's, as /lib/...
              file("usr/bin/certs-update", b"u" * 300),
              file("var/lib/dpkg/info/certs.postinst", b"p" * 40),
              file("var/lib/dpkg/info/certs.md5sums", b"m" * 20),
              file("var/lib/dpkg/info/tool.md5sums", b"m" * 25),
              file("etc/certs/bundle.pem", b"c" * 200),  # generated in a directory only certs lists
              file("etc/certs.conf", b"f" * 11),  # generated, named after certs
              file("etc/motd", b"h" * 9)]  # nobody's; /etc is libc6's too: not certs' doing
    return build_image((*BASE, base_records), CMD,
                       ("/bin/sh -c apt-get install -y tool", files, captured))


def recommends(image):
    [finding] = [f for f in run_rules(analyze(image)) if f.rule == "LS006"]
    return finding


def test_control_generated_files_records_and_debconf_backups_count():
    finding = recommends(built())
    assert finding.packages == ("certs",)
    listed = 300  # /usr/bin/certs-update
    control = len(LISTS["/var/lib/dpkg/info/certs.list"]) + 40 + 20
    generated = 200 + 11
    # certs' stanza in status and in status-old beside it; its question in config.dat and its
    # template; the whole of both debconf backups: nothing else changed debconf
    records = 2 * len(CERTS) + len(CERTS_QUESTION) + len(CERTS_TEMPLATE) + len(LIBC6_QUESTION) \
        + 30
    assert finding.estimated_saving_bytes == listed + control + generated + records
    removed = {path for _, path, _ in finding.removes}
    assert not removed & {"/etc/motd", "/usr/lib/x86_64-linux-gnu/libtool.so.1",
                          "/var/lib/dpkg/info/tool.md5sums", "/var/lib/dpkg/info/tool.list"}


def test_debconf_backups_stay_when_a_needed_package_changed_debconf_too():
    finding = recommends(built(tool_asks=True))
    # the backups are written anyway: only certs' stanzas in them would go (none: they hold
    # what was there before the install)
    records = 2 * len(CERTS) + len(CERTS_QUESTION) + len(CERTS_TEMPLATE)
    assert finding.estimated_saving_bytes == 300 + len(LISTS["/var/lib/dpkg/info/certs.list"]) \
        + 40 + 20 + 200 + 11 + records


def test_a_part_of_a_version_is_inside_the_whole_version_another_fix_removes():
    from layerscope.rules.base import Finding
    from layerscope.rules.savings import together

    part = Finding("LS006", "warning", "t", 91, (1,), (), "fix",
                   removes=((1, "/var/lib/dpkg/status", 91),))
    whole = Finding("LS001", "warning", "t", 900, (1,), (), "fix",
                    removes=((1, "/var/lib/dpkg/status", 900),))
    assert together([part, whole], 10_000) == together([whole, part], 10_000) == 900
