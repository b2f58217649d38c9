"""LS001: bytes written by one step and deleted by a later, separate step."""

from .base import WARNING, Rule
from .dead_pairs import pair_findings, summarize_kinds


def describe(context, pair) -> str:
    return (f"step {pair.writer} wrote {pair.bytes:,} bytes that step {pair.killer} deleted or "
            f"replaced ({summarize_kinds(pair)}); a later layer cannot shrink an earlier one")


def check(context):
    return pair_findings(
        context, RULE,
        "do the deletion in the step that wrote the files: fold steps {w}..{k} into one RUN "
        "(install && ... && clean up)", describe)


RULE = Rule("LS001", WARNING, "clean-up in a later layer", check,
            "Files deleted by a later step still weigh in the layer that wrote them.")
