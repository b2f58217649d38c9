"""What Recommends-only packages cost beyond the files their .list names, read from the image's
own layers: dpkg's per-package control files, the files their maintainer scripts generate, and
the records their install adds to dpkg's and debconf's databases (docs/rules/LS006.md says
which of these are estimates)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from ..analysis.packages import DEBCONF, INFO_DIR, RECORDS, STATUS, PackageHistory
from ..model import EntryKind, Image

Part = tuple[int, str, int]
"""(layer, path, bytes): one version's bytes a fix removes, as Finding.removes holds them."""

STATUS_OLD = STATUS + "-old"
"""dpkg's backup of its status, rewritten beside it."""
OLD_COPIES = (DEBCONF + "templates.dat-old", DEBCONF + "config.dat-old")
"""debconf's backups, written only when an install changed its database."""
BOOKKEEPING = ("/var/lib/dpkg/", "/var/lib/apt/", "/var/cache/", "/var/log/", "/etc/ld.so.cache")
"""Files every apt run rewrites whatever it installs: never a package's generated file."""
_WITH_BYTES = frozenset((int(EntryKind.FILE), int(EntryKind.SYMLINK)))
"""Plain ints: an entry's kind is one, and a set of them is looked up in C (IntEnum members in
a tuple were 3 ms an LS006 finding on size:v1's 40k-entry install layer)."""
MERGED = ("/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/")
"""dpkg lists some files under their pre-usrmerge names; on a merged /usr they live below /usr."""


def extra_parts(image: Image, history: PackageHistory, layer: int, names: Iterable[str],
                live_parts: Callable[[Iterable[str]], tuple[Part, ...]]) -> tuple[Part, ...]:
    """The versions installing `names` in `layer` added besides their listed files: control
    files and generated files (weighed by their visible bytes, as the listed files are), and
    their stanzas in every version of dpkg's and debconf's records from `layer` on."""
    names = frozenset(names)
    written = {e.path: e for e in image.layers[layer].files
               if e.kind in _WITH_BYTES}
    paths = [path for path in written if _control_file_of(path) in names]
    paths += _generated(written, history, layer, names)
    return live_parts(paths) + tuple(_records(image, layer, names))


def _control_file_of(path: str) -> str | None:
    """/var/lib/dpkg/info/libsasl2-modules:amd64.postinst -> 'libsasl2-modules'."""
    if not path.startswith(INFO_DIR) or "/" in path[len(INFO_DIR):]:
        return None
    stem = path[len(INFO_DIR):].rpartition(".")[0]
    return stem.split(":", 1)[0] or None


def _generated(written: Mapping[str, object], history: PackageHistory, layer: int,
               names: frozenset[str]) -> Iterator[str]:
    """Files the layer wrote that no package lists, below a directory only `names` list (the
    links update-ca-certificates makes in /etc/ssl/certs) or named after one of them
    (/etc/ca-certificates.conf): what their maintainer scripts generate."""
    state = history.states[layer] or history.final()
    final = history.final()
    # the step's own state is often the final one: its lists are then gathered once
    sources = (final.owned,) if state is final else (final.owned, state.owned)
    # sets built in C over every owned path; owners are looked up only for the few directories
    # a candidate needs (a per-path owner map of every package cost 40 ms an LS006 finding)
    owned = set().union(*(paths for source in sources for paths in source.values()))
    owned.update(["/usr" + path for path in owned if path.startswith(MERGED)])
    named = _named_after(names)
    parents: dict[str, str] = {}
    for path in written:
        if path in owned or path.startswith(BOOKKEEPING):
            continue
        if named(path):
            yield path
            continue
        parent = path.rpartition("/")[0]
        while parent and parent not in owned:
            parent = parent.rpartition("/")[0]
        if parent:
            parents[path] = parent
    owners = _owners(sources, set(parents.values()))
    for path, parent in parents.items():
        if owners[parent] <= names:
            yield path


def _owners(sources, directories: set[str]) -> dict[str, set[str]]:
    """The packages that list each of `directories` (under its own or its pre-usrmerge name)."""
    wanted = {d: {d, d[4:]} if d[4:].startswith(MERGED) else {d} for d in directories}
    spellings = set().union(*wanted.values())
    listed: dict[str, set[str]] = {}
    for source in sources:
        for name, paths in source.items():
            for path in spellings.intersection(paths):
                listed.setdefault(path, set()).add(name)
    return {d: set().union(*(listed.get(s, ()) for s in forms)) for d, forms in wanted.items()}


def _named_after(names: frozenset[str]) -> Callable[[str], object]:
    """A test of whether a path has a component that is one of `names`, whole or before a dot
    (/etc/ca-certificates.conf is named after ca-certificates): one regular expression, searched
    in C, where splitting every unowned path cost 20 ms on size:v1."""
    if not names:
        return lambda path: None
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"/(?:{alternatives})(?:\.[^/]*)?(?:/|$)").search


def _stanzas(data: bytes) -> Iterator[tuple[str, str, int]]:
    """(Package or Name, Owners, bytes with the blank line after it) of each stanza: the two
    fields found with bytes.find, not every line split (templates.dat is 800 kB of translated
    descriptions a layer; a line-anchored regular expression scanning it cost 4 ms)."""
    for chunk in data.split(b"\n\n"):
        if not chunk.strip():
            continue
        size = len(chunk) + 2
        chunk = chunk.strip(b"\n")
        yield (_field(chunk, b"Package:") or _field(chunk, b"Name:"), _field(chunk, b"Owners:"),
               size)


def _field(chunk: bytes, name: bytes) -> str:
    """The value of the field `name` ("Owners:") of a stanza, "" when it has none."""
    if chunk.startswith(name):
        start = len(name)
    else:
        at = chunk.find(b"\n" + name)
        if at < 0:
            return ""
        start = at + 1 + len(name)
    end = chunk.find(b"\n", start)
    return chunk[start:end if end >= 0 else len(chunk)].strip().decode("utf-8", "replace")


def _belongs(key: str, owners: str, names: frozenset[str]) -> bool:
    """A dpkg stanza is its package's; a debconf question is in its package's namespace
    (ca-certificates/trust_new_crts), or config.dat lists only such packages as owners."""
    if key in names or key.split("/", 1)[0] in names:
        return True
    listed = {owner.strip() for owner in owners.split(",") if owner.strip()}
    return bool(listed) and listed <= names


def _records(image: Image, layer: int, names: frozenset[str]) -> Iterator[Part]:
    """The packages' stanzas in each version of the records from `layer` on; in `layer`, the
    whole of debconf's backups when only these packages changed its database (installed
    without them, debconf never writes the backups)."""
    below: dict[str, bytes] = {}
    for index in range(layer):
        below.update({p: d for p, d in image.layers[index].captured.items() if p in RECORDS})
    for index in range(layer, len(image.layers)):
        captured = image.layers[index].captured
        own_only = index == layer and _only_theirs_changed(captured, below, names)
        for path in RECORDS:
            if path not in captured:
                continue
            if own_only and path in OLD_COPIES:
                yield index, path, len(captured[path])
                continue
            size = sum(n for key, owners, n in _stanzas(captured[path])
                       if _belongs(key, owners, names))
            if size:
                yield index, path, size
                if path == STATUS and any(e.path == STATUS_OLD for e in image.layers[index].files):
                    yield index, STATUS_OLD, size  # dpkg's backup: the same stanzas, near enough


def _only_theirs_changed(captured: Mapping[str, bytes], below: Mapping[str, bytes],
                         names: frozenset[str]) -> bool:
    """True when every debconf question the layer added or changed is one of `names`'."""
    changed = False
    for path in (DEBCONF + "templates.dat", DEBCONF + "config.dat"):
        if path not in captured:
            continue
        before = set(_raw_stanzas(below.get(path, b"")))
        for chunk in _raw_stanzas(captured[path]):
            if chunk in before:
                continue
            changed = True
            (key, owners, _), = _stanzas(chunk)
            if not _belongs(key, owners, names):
                return False
    return changed


def _raw_stanzas(data: bytes) -> list[bytes]:
    return [chunk for chunk in data.split(b"\n\n") if chunk.strip()]
