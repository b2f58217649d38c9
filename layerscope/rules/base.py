"""The advice-rule interface: a Rule (ID, severity, title, check) and the Finding it yields."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from ..analysis.image_report import Analysis, InspectReport
from ..errors import LayerscopeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..analysis.packages import PackageHistory

ERROR, WARNING, INFO = "error", "warning", "info"


class RuleError(LayerscopeError):
    """An advice rule was asked for that does not exist, or could not be evaluated."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of advice: what to change in the Dockerfile and the bytes it would save."""

    rule: str
    """The rule's ID, e.g. LS001."""
    severity: str
    """error, warning or info."""
    title: str
    """The rule's title."""
    estimated_saving_bytes: int | None
    """Bytes the image would lose with the fix applied; None when it cannot be estimated."""
    steps: tuple[int, ...]
    """History indexes of the steps involved, oldest first."""
    paths: tuple[str, ...]
    """The paths (or packages, for package rules) involved, largest first; may be cut short."""
    fix: str
    """What to change, in one or two sentences."""
    message: str = ""
    """What was found, with numbers."""
    base: bool = False
    """True when the bytes belong to the base image: reported apart, never blamed on user steps."""
    packages: tuple[str, ...] = ()
    """Packages involved (package rules), largest first."""
    lines: tuple[int, ...] = ()
    """Dockerfile line numbers of the steps, when --dockerfile aligned them."""
    removes: tuple[tuple[int, str, int], ...] = ()
    """(layer, path, bytes) of each version the fix would take out of the image: the parts of
    the estimate, so overlapping findings count each version once together (rules/savings.py)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """An advice rule: one module of layerscope/rules/ defines one, as RULE."""

    id: str
    """Stable ID, LS + three digits."""
    severity: str
    """Severity of its findings."""
    title: str
    """One line: what it looks for."""
    check: Callable[[RuleContext], Iterable[Finding]]
    """Yields its findings for an analysed image."""
    summary: str = ""
    """One more sentence for --list-rules and the docs index."""


@dataclass(frozen=True)
class RuleOptions:
    """What the user asked of the rules."""

    ignore: frozenset[str] = frozenset()
    """Rule IDs not to run."""
    max_paths: int = 20
    """Paths kept per finding (JSON and text)."""


class _FinalTree:
    """The visible versions of paths, read from the final tree when asked; after many
    questions, one walk of the whole tree answers the rest (rules ask about a few paths, or
    about thousands, and a map of every path costs as much as the merge)."""

    LOOKUPS_BEFORE_WALK = 1000

    def __init__(self, root) -> None:
        self._root = root
        self._lookups = 0
        self._all: dict | None = None

    def walked(self) -> dict:
        """Path -> visible version, for the whole tree."""
        if self._all is None:
            from ..analysis.tree import live_versions

            self._all = {version.entry.path: version for version in live_versions(self._root)}
        return self._all

    def versions(self, paths: Iterable[str]) -> dict:
        """Path -> visible version, for those of `paths` that are visible, in their order. The
        paths are asked together: a lookup a call, not a method chain a path, is what made the
        package rules' 50k questions on size:v1 cheap."""
        paths = list(paths)
        if self._all is None and self._lookups + len(paths) <= self.LOOKUPS_BEFORE_WALK:
            from ..analysis.tree import find_version

            self._lookups += len(paths)
            found = {}
            for path in paths:
                version = find_version(self._root, path)
                if version is not None:
                    found[path] = version
            return found
        everything = self.walked()
        return {path: everything[path] for path in paths if path in everything}


@dataclass
class RuleContext:
    """What the rules read: the analysis, and views of it computed once and shared."""

    analysis: Analysis
    options: RuleOptions = field(default_factory=RuleOptions)

    @property
    def report(self) -> InspectReport:
        return self.analysis.report

    def shared(self, view: Callable[[RuleContext], object]):
        """view(self), computed once for every rule that asks (the dead pairs four rules
        read: 0.1 s each on a 300k-file image)."""
        views = self.__dict__.setdefault("_views", {})
        if view not in views:
            views[view] = view(self)
        return views[view]

    @cached_property
    def _final_tree(self) -> _FinalTree:
        return _FinalTree(self.analysis.merged.final_tree)

    @cached_property
    def packages(self) -> PackageHistory | None:
        """The image's package history (dpkg states per layer), parsed once for every rule that
        reads it; None when the analysis carries no image."""
        from ..analysis.packages import package_history  # only the package rules need it

        image = self.analysis.image
        return None if image is None else package_history(image)

    def visible(self, paths: Iterable[str]) -> dict:
        """Path -> its visible version (analysis.merge.Version), for those of `paths` that are
        visible in the final filesystem, in the order asked."""
        return self._final_tree.versions(paths)

    def live_bytes(self, paths: Iterable[str]) -> int:
        """The bytes of the visible versions of `paths` (a path listed twice counts twice)."""
        paths = list(paths)
        versions = self.visible(paths)
        return sum(versions[path].entry.size for path in paths if path in versions)

    @cached_property
    def _step_of_layer(self) -> dict[int, int]:
        return {s.layer: s.index for s in self.report.steps if s.layer is not None}

    def writer(self, version) -> int:
        """The step whose layer holds a visible version."""
        return self._step_of_layer.get(version.layer, version.layer)

    def live_parts(self, paths: Iterable[str]) -> tuple[tuple[int, str, int], ...]:
        """(layer, path, bytes) of the visible version of each path that holds bytes."""
        return tuple((version.layer, path, version.entry.size)
                     for path, version in self.visible(dict.fromkeys(paths)).items()
                     if version.entry.size)

    def live_under(self, directories: Iterable[str]) -> list[tuple[str, int]]:
        """(path, bytes) of every visible entry below the given directories, walking only
        those subtrees: a rule about /var/cache has no business visiting a million files."""
        from ..analysis.tree import find_node, live_versions

        found = []
        for directory in directories:
            node = find_node(self.analysis.merged.final_tree, directory)
            if node is not None and node.children:
                for child in node.children.values():
                    found += [(v.entry.path, v.entry.size) for v in live_versions(child)]
        return found

    def is_base(self, step: int) -> bool:
        return self.report.steps[step].base

    def instruction(self, step: int) -> str:
        return self.report.steps[step].instruction
