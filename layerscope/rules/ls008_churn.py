"""LS008: a step rewrites paths an earlier step wrote, with new content (churn)."""

from .base import INFO, Rule
from .dead_pairs import pair_findings, summarize_kinds


def describe(context, pair) -> str:
    count = len(pair.paths)
    return (f"step {pair.killer} rewrote {count} path{'s' if count != 1 else ''} that step "
            f"{pair.writer} wrote; the old {pair.bytes:,} bytes stay in step {pair.writer}'s "
            f"layer ({summarize_kinds(pair)})")


def check(context):
    return pair_findings(
        context, RULE,
        "write the final content once: generate it in one step, or fold steps {w}..{k}", describe)


RULE = Rule("LS008", INFO, "churn: the same paths rewritten", check,
            "Each rewrite of a path keeps the previous content in the earlier layer.")
