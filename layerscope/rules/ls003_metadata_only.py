"""LS003: a later chmod/chown (or hard link) copied whole files up to change only metadata."""

from .base import WARNING, Rule
from .dead_pairs import pair_findings, summarize_kinds


def describe(context, pair) -> str:
    return (f"step {pair.killer} stored {pair.bytes:,} bytes of step {pair.writer}'s files again "
            f"with only their mode, owner or times changed ({summarize_kinds(pair)})")


def check(context):
    return pair_findings(
        context, RULE,
        "set mode and owner where the files are written: COPY --chmod=/--chown=, or chmod/chown "
        "in the same RUN (fold steps {w}..{k})", describe)


RULE = Rule("LS003", WARNING, "metadata-only duplicates", check,
            "RUN chmod/chown in a later step copies the whole file into a new layer.")
