"""Which packages each step installed or removed, read from the package databases the layers
carried (captured while streaming; the image is never run).

Debian: /var/lib/dpkg/status (Package, Status, Installed-Size, Depends, Pre-Depends, Recommends,
Provides), /var/lib/dpkg/info/PKG.list (the paths a package owns), /var/lib/apt/extended_states
(apt's Auto-Installed marks), /var/log/apt/eipp.log.xz (stanzas, with Depends, of packages an apt
run removed again), debconf's templates.dat and config.dat (read by rules/ls006_records.py).
Python: */NAME-VERSION.dist-info/RECORD (path, hash, size lines).
"""

from __future__ import annotations

import lzma
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..layers.tarindex import CapturePolicy
from ..model import EntryKind, Image

STATUS = "/var/lib/dpkg/status"
DEBCONF = "/var/cache/debconf/"
RECORDS = (STATUS, DEBCONF + "templates.dat", DEBCONF + "config.dat",
           DEBCONF + "templates.dat-old", DEBCONF + "config.dat-old")
"""dpkg's and debconf's databases: a stanza per package (or per debconf question). dpkg's
status-old is not read: it holds the same stanzas as the status beside it."""
EXTENDED_STATES = "/var/lib/apt/extended_states"
EIPP_LOG = "/var/log/apt/eipp.log.xz"
INFO_DIR = "/var/lib/dpkg/info/"
RECORD_SUFFIX = ".dist-info/RECORD"


def _wanted(path: str) -> bool:
    return (path in (EXTENDED_STATES, EIPP_LOG) or path in RECORDS
            or (path.startswith(INFO_DIR) and path.endswith(".list"))
            or path.endswith(RECORD_SUFFIX))


PACKAGE_DATABASES = CapturePolicy(("/var/lib/dpkg/", "/var/lib/apt/", "/var/log/apt/", DEBCONF),
                                  ("/RECORD",), _wanted)
"""The files this analysis reads, which the tar reader keeps as the layers stream past: dpkg's
status and .list files, the records a package's install adds (RECORDS, for the Recommends
estimate), apt's extended_states and planner log (eipp.log.xz keeps the Depends of
packages removed in the same step, for the Recommends estimate), and Python's dist-info RECORDs."""


def parse_stanzas(text: str) -> list[dict[str, str]]:
    """RFC 822-style control paragraphs (dpkg status, extended_states) as field dicts."""
    stanzas: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                stanzas.append(current)
            current, last = {}, None
        elif line[0] in " \t":
            if last is not None:
                current[last] += "\n" + line.strip()
        else:
            name, _, value = line.partition(":")
            last = name.strip()
            current[last] = value.strip()
    if current:
        stanzas.append(current)
    return stanzas


def parse_relations(value: str) -> tuple[tuple[str, ...], ...]:
    """'a (>= 1) | b, c:any' -> (('a', 'b'), ('c',)): alternatives per comma group, names only."""
    groups = []
    for group in value.split(","):
        names = []
        for alternative in group.split("|"):
            name = re.split(r"[\s(\[<]", alternative.strip(), maxsplit=1)[0]
            name = name.split(":", 1)[0]
            if name:
                names.append(name)
        if names:
            groups.append(tuple(names))
    return tuple(groups)


@dataclass(frozen=True, slots=True)
class Package:
    """One installed Debian package as dpkg's status records it."""

    name: str
    """Package name (without architecture)."""
    version: str
    """Version string."""
    installed_size: int
    """Installed-Size in bytes (dpkg records KiB)."""
    depends: tuple[tuple[str, ...], ...] = ()
    """Depends and Pre-Depends, as groups of alternatives."""
    recommends: tuple[tuple[str, ...], ...] = ()
    """Recommends, as groups of alternatives."""
    provides: tuple[str, ...] = ()
    """Virtual package names it provides."""


def _package(stanza: Mapping[str, str]) -> Package:
    try:
        kib = int(stanza.get("Installed-Size", "0").split()[0] or 0)
    except (ValueError, IndexError):
        kib = 0
    depends = parse_relations(stanza.get("Pre-Depends", "")) + parse_relations(
        stanza.get("Depends", ""))
    provides = tuple(group[0] for group in parse_relations(stanza.get("Provides", "")))
    return Package(stanza["Package"], stanza.get("Version", ""), kib * 1024, depends,
                   parse_relations(stanza.get("Recommends", "")), provides)


def parse_status(data: bytes) -> dict[str, Package]:
    """Installed packages (Status '... installed') of a dpkg status file, by name."""
    packages = {}
    for stanza in parse_stanzas(data.decode("utf-8", "replace")):
        if "Package" in stanza and stanza.get("Status", "").endswith(" installed"):
            packages[stanza["Package"]] = _package(stanza)
    return packages


def parse_eipp(data: bytes) -> dict[str, Package]:
    """Package stanzas of apt's planner log (xz): Depends of packages since removed."""
    try:
        text = lzma.decompress(data).decode("utf-8", "replace")
    except (lzma.LZMAError, EOFError):
        return {}
    return {s["Package"]: _package(s) for s in parse_stanzas(text)[1:] if "Package" in s}


def parse_auto_marks(data: bytes) -> frozenset[str]:
    """Packages apt marked Auto-Installed: 1 in extended_states."""
    return frozenset(s["Package"] for s in parse_stanzas(data.decode("utf-8", "replace"))
                     if "Package" in s and s.get("Auto-Installed") == "1")


def list_package(path: str) -> str | None:
    """/var/lib/dpkg/info/libc6:amd64.list -> 'libc6'; None for other paths."""
    if not (path.startswith(INFO_DIR) and path.endswith(".list")):
        return None
    return posixpath.basename(path)[: -len(".list")].split(":", 1)[0]


def parse_record(path: str, data: bytes) -> tuple[str, str, tuple[str, ...], int]:
    """A dist-info RECORD -> (distribution, version, absolute paths, total size from RECORD)."""
    folder = posixpath.dirname(path)
    site = posixpath.dirname(folder)
    name, _, version = posixpath.basename(folder)[: -len(".dist-info")].partition("-")
    paths, total = [], 0
    for line in data.decode("utf-8", "replace").splitlines():
        parts = line.rsplit(",", 2)
        if len(parts) != 3 or not parts[0]:
            continue
        paths.append(posixpath.normpath(posixpath.join(site, parts[0])))
        if parts[2].isdigit():
            total += int(parts[2])
    return name, version, tuple(paths), total


@dataclass(frozen=True, slots=True)
class PackageChange:
    """A package a step installed, upgraded or removed, with the bytes involved."""

    name: str
    """Package or distribution name."""
    version: str
    """Version (the new one for installs, the old one for removals)."""
    manager: str
    """dpkg or python."""
    action: str
    """installed, upgraded or removed."""
    bytes: int
    """Bytes of its files in this step's layer (installed), or its files' bytes it removed."""
    auto: bool = False
    """apt marked it automatically installed (a dependency or a Recommends)."""


@dataclass(frozen=True, slots=True)
class StepPackages:
    """Package changes of one step."""

    step: int
    """History index of the step."""
    changes: tuple[PackageChange, ...]
    """Largest first."""


@dataclass
class PackageState:
    """dpkg's view after some layer: installed packages, auto marks, owned paths."""

    packages: dict[str, Package] = field(default_factory=dict)
    auto: frozenset[str] = frozenset()
    owned: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class PackageHistory:
    """Per layer: the package state after it (None when the layer touched no dpkg database)."""

    states: tuple[PackageState | None, ...]
    """Index = layer index; the state dpkg recorded in that layer, if it wrote its status."""
    eipp: dict[str, Package]
    """Stanzas from apt's planner logs (every layer), for packages removed since."""

    def before(self, layer: int) -> PackageState:
        """The last state written by a layer below `layer` (empty when none)."""
        for index in range(layer - 1, -1, -1):
            if self.states[index] is not None:
                return self.states[index]
        return PackageState()

    def final(self) -> PackageState:
        """The state of the top-most layer that wrote one."""
        return self.before(len(self.states))


def package_history(image: Image) -> PackageHistory:
    """Read every layer's captured dpkg databases into states, carrying the rest forward.

    Parsing them costs a run noticeable time (15 ms on size:v1): callers parse once per image
    and share the result (the rules through RuleContext.packages)."""
    states: list[PackageState | None] = []
    eipp: dict[str, Package] = {}
    current = PackageState()
    for layer in image.layers:
        captured = layer.captured
        if EIPP_LOG in captured:
            eipp.update(parse_eipp(captured[EIPP_LOG]))
        lists = {list_package(p): data for p, data in captured.items() if list_package(p)}
        if STATUS not in captured and EXTENDED_STATES not in captured and not lists:
            states.append(None)
            continue
        packages = parse_status(captured[STATUS]) if STATUS in captured else current.packages
        auto = (parse_auto_marks(captured[EXTENDED_STATES]) if EXTENDED_STATES in captured
                else current.auto)
        owned = dict(current.owned)
        for name, data in lists.items():
            owned[name] = tuple(line for line in data.decode("utf-8", "replace").splitlines()
                                if line and line != "/.")
        current = PackageState(packages, auto, owned)
        states.append(current)
    return PackageHistory(tuple(states), eipp)


def _owned_bytes(paths: Iterable[str], sizes: Mapping[str, int]) -> int:
    return sum(sizes.get(path, 0) for path in paths)


def layer_sizes(image: Image, layer: int) -> dict[str, int]:
    """Path -> bytes of the regular files and symlinks a layer wrote."""
    return {e.path: e.size for e in image.layers[layer].files
            if e.kind in (EntryKind.FILE, EntryKind.SYMLINK)}


def step_packages(image: Image, step_layers: Mapping[int, int],
                  history: PackageHistory | None = None) -> tuple[StepPackages, ...]:
    """For every step with a layer (step index -> layer index): packages installed, upgraded and
    removed, by comparing the dpkg state and the dist-info RECORDs with those below it.
    `history` is the image's package_history when the caller already has it."""
    history = package_history(image) if history is None else history
    seen_records: dict[str, tuple[str, str, tuple[str, ...], int]] = {}
    below_sizes: dict[str, int] = {}
    result = []
    for step, layer in sorted(step_layers.items(), key=lambda item: item[1]):
        sizes = layer_sizes(image, layer)
        changes: list[PackageChange] = []
        state = history.states[layer]
        if state is not None:
            before = history.before(layer)
            for name, package in state.packages.items():
                old = before.packages.get(name)
                if old is not None and old.version == package.version:
                    continue
                changes.append(PackageChange(
                    name, package.version, "dpkg", "installed" if old is None else "upgraded",
                    _owned_bytes(state.owned.get(name, ()), sizes), name in state.auto))
            for name, package in before.packages.items():
                if name not in state.packages:
                    changes.append(PackageChange(
                        name, package.version, "dpkg", "removed",
                        _owned_bytes(before.owned.get(name, ()), below_sizes)))
        for path, data in image.layers[layer].captured.items():
            if path.endswith(".dist-info/RECORD") and path not in seen_records:
                record = parse_record(path, data)
                seen_records[path] = record
                changes.append(PackageChange(record[0], record[1], "python", "installed",
                                             _owned_bytes(record[2], sizes) or record[3]))
        below_sizes.update(sizes)
        if changes:
            changes.sort(key=lambda c: (-c.bytes, c.name))
            result.append(StepPackages(step, tuple(changes)))
    return tuple(result)


# ------------------------------------------------------------------------ Recommends estimate

APT_INSTALL = re.compile(r"\bapt(?:-get)?\s+(?:[^;&|]*?\s)?install\b([^;&|]*)")


def install_commands(instruction: str) -> list[tuple[str, tuple[str, ...]]]:
    """(command text, named packages) for every `apt-get install`/`apt install` in a RUN."""
    commands = []
    for match in APT_INSTALL.finditer(instruction.replace("\\\n", " ")):
        words = match.group(1).split()
        names = tuple(re.split(r"[=/]", w, maxsplit=1)[0] for w in words
                      if not w.startswith(("-", "$")) and re.match(r"[a-z0-9]", w))
        commands.append((match.group(0).strip(), names))
    return commands


def skips_recommends(command: str) -> bool:
    """True when an apt command already leaves Recommends out."""
    return ("--no-install-recommends" in command
            or re.search(r"Install-Recommends[\"']?\s*=\s*[\"']?(false|0|no)", command) is not None)


@dataclass(frozen=True, slots=True)
class RecommendsEstimate:
    """What --no-install-recommends would have left out of one step."""

    roots: tuple[str, ...]
    """The packages the command named."""
    packages: tuple[tuple[str, int], ...]
    """(package, bytes) installed only because something recommended it, largest first."""

    @property
    def bytes(self) -> int:
        """Their total."""
        return sum(size for _, size in self.packages)


def _closure(roots: Iterable[str], known: Mapping[str, Package], provides: Mapping[str, str],
             recommends: bool) -> set[str]:
    seen: set[str] = set()
    stack = [r for r in roots]
    while stack:
        name = stack.pop()
        name = name if name in known else provides.get(name, name)
        if name in seen or name not in known:
            continue
        seen.add(name)
        package = known[name]
        groups = package.depends + (package.recommends if recommends else ())
        for group in groups:
            chosen = next((n for n in group if n in known or n in provides), None)
            if chosen is not None:
                stack.append(chosen)
    return seen


def recommends_estimate(history: PackageHistory, layer: int, roots: Iterable[str],
                        live_bytes: Callable[[Iterable[str]], int]) -> RecommendsEstimate:
    """Packages a layer installed that are reachable from the named ones only through Recommends.

    The dependency closure (Depends, Pre-Depends; the first installed alternative; virtual names
    through Provides) of the named packages is what --no-install-recommends still installs; every
    other package this layer added that the named ones reach once Recommends are followed too is
    the saving, weighed by the bytes of its files still visible in the final image
    (`live_bytes(paths)`: their visible versions' bytes). When a named
    package was removed again in the same step (its Recommends are lost), every auto-installed
    package the Depends closure does not explain counts. `history` is the image's
    package_history."""
    state = history.states[layer] if history.states[layer] is not None else history.final()
    before = history.before(layer)
    known = {**history.eipp, **before.packages, **state.packages}
    provides: dict[str, str] = {}
    for package in known.values():
        for virtual in package.provides:
            provides.setdefault(virtual, package.name)
    roots = tuple(roots)
    needed = _closure(roots, known, provides, recommends=False) | set(before.packages)
    wanted = _closure(roots, known, provides, recommends=True)
    if any(root not in state.packages for root in roots):
        # a named package was removed again in the same step: its Depends survive in apt's
        # planner log, its Recommends do not; every package the step added that apt marked
        # automatic and that the Depends closure does not explain came in as a Recommends.
        wanted |= {name for name in state.packages if name in state.auto}
    added = [name for name in state.packages if name not in before.packages]
    final = history.final()
    extra = []
    for name in added:
        if name in wanted and name not in needed:
            owned = final.owned.get(name) or state.owned.get(name, ())
            size = live_bytes(owned) if owned else state.packages[name].installed_size
            extra.append((name, size))
    extra.sort(key=lambda item: (-item[1], item[0]))
    return RecommendsEstimate(roots, tuple(extra))
