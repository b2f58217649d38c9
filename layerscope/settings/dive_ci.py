"""dive's `.dive-ci` as layerscope budgets, read with PyYAML's safe loader.

lowestEfficiency (a ratio) -> min-efficiency; highestWastedBytes -> max-wasted;
highestUserWastedPercent (a ratio) -> max-wasted-percent with user = true. A rule written as
"disabled" is off. Values may be numbers or strings, as dive reads them."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from .precedence import PrecedenceLevel
from .values import SIZE_ALLOWED, Invalid, parse_size, shown

DIVE_RULES = {
    # dive rule: (layerscope key, how dive writes it)
    "lowestEfficiency": ("min-efficiency", "ratio"),
    "highestWastedBytes": ("max-wasted", "size"),
    "highestUserWastedPercent": ("max-wasted-percent", "ratio"),
}
EXAMPLE = "e.g. rules: {lowestEfficiency: 0.9}"


def read_dive_ci(path: Path) -> PrecedenceLevel:
    """The `rules:` mapping of a .dive-ci file, as budget values; every problem, one line each."""
    name = str(path)
    level = PrecedenceLevel(files=[name])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        level.problems.append(f"--dive-ci {name}: no such file")
        return level
    except (OSError, UnicodeDecodeError) as error:
        level.problems.append(f"--dive-ci {name}: cannot be read: "
                              f"{getattr(error, 'strerror', None) or error}")
        return level
    try:
        rules = _rules(text, name)
    except Invalid as problem:
        level.problems.append(str(problem))
        return level
    for key, raw, written, line in rules:
        origin = name if line is None else f"{name} line {line}"
        if key not in DIVE_RULES:
            level.problems.append(f"rules.{key} ({origin}): not a dive CI rule; allowed: "
                                  + ", ".join(DIVE_RULES))
            continue
        if isinstance(raw, str) and raw.strip().lower() == "disabled":
            continue
        target, written_as = DIVE_RULES[key]
        try:
            value = _ratio(raw) * 100 if written_as == "ratio" else parse_size(raw)
        except (ValueError, ZeroDivisionError):  # Invalid is a ValueError
            allowed = ("a ratio from 0 to 1, e.g. 0.9" if written_as == "ratio"
                       else f"{SIZE_ALLOWED}, or disabled")
            level.problems.append(f"rules.{key} = {shown(written if written is not None else raw)}"
                                  f" ({origin}): expected {allowed}")
            continue
        source = f"{name} rules.{key}"
        level.values.append((target, value, raw, source))
        if key == "highestUserWastedPercent":
            level.values.append(("user", True, True, source))
    return level


def _ratio(raw: Any) -> Fraction:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(raw)
    # str() of a float is its shortest spelling, so 0.95 is 19/20, not the binary neighbour
    ratio = Fraction(str(raw).strip())
    if not 0 <= ratio <= 1:
        raise ValueError(raw)
    return ratio


def _rules(text: str, name: str) -> list[tuple[str, Any, str | None, int | None]]:
    """(rule, value, the value as written when a scalar, its line) for each entry of `rules:`.

    The loader is driven by hand, as yaml.safe_load drives it, to keep the nodes: they give each
    rule its line and its value as written, which the problems quote."""
    import yaml

    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            document = None if root is None else loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        # a parser error has a mark; the reader's (a control character) only a position
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark else text.count("\n", 0, getattr(error, "position", 0)) + 1
        what = getattr(error, "problem", None) or getattr(error, "reason", None) or error
        raise Invalid(f"--dive-ci {name} line {line}: not valid YAML: {what}") from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise Invalid(f"--dive-ci {name}: not valid YAML: nested too deeply") from None
    if document is None:
        return []
    if not isinstance(document, dict):
        raise Invalid(f"--dive-ci {name}: expected a mapping with a rules: mapping, {EXAMPLE}")
    rules, nodes = document.get("rules"), _rule_nodes(root)
    if rules is None:
        return []
    if not isinstance(rules, dict):
        line = nodes.get(None)
        where = name if line is None else f"{name} line {line[0]}"
        raise Invalid(f"rules ({where}): expected a mapping of dive CI rules, {EXAMPLE}")
    entries = []
    for key, raw in rules.items():
        line, written = nodes.get(str(key), (None, None))
        entries.append((str(key), raw, written, line))
    return entries


def _rule_nodes(root) -> dict[str | None, tuple[int, str | None]]:
    """Rule -> (its line, its value as written when a scalar); None -> the line of `rules:`."""
    import yaml

    found: dict[str | None, tuple[int, str | None]] = {}
    if not isinstance(root, yaml.MappingNode):
        return found
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == "rules":
            found[None] = (key_node.start_mark.line + 1, None)
            if isinstance(value_node, yaml.MappingNode):
                for rule, value in value_node.value:
                    written = value.value if isinstance(value, yaml.ScalarNode) else None
                    found[str(rule.value)] = (rule.start_mark.line + 1, written)
    return found
