"""--dockerfile and --patch: the Dockerfile read (dockerfile.py), aligned to the image's steps
(align.py), and the mechanical fixes planned (plan.py, edits.py, folds.py) and written as an
annotated unified diff (render.py). Errors are rules.base.RuleError."""

MECHANICAL_RULES = ("LS001", "LS002", "LS003", "LS004", "LS005", "LS006")
"""The rules whose fixes --patch can write (each finding may still be left out, with a reason)."""
