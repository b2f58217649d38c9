"""LS006: apt-get install without --no-install-recommends, with the bytes the Recommends cost."""

from ..analysis.packages import install_commands, recommends_estimate, skips_recommends
from .base import WARNING, Finding, Rule


def check(context):
    image = context.analysis.image
    findings = []
    for step in context.report.steps:
        if step.layer is None or not step.instruction.startswith("RUN"):
            continue
        commands = [(c, roots) for c, roots in install_commands(step.instruction)
                    if not skips_recommends(c)]
        if not commands:
            continue
        roots = tuple(dict.fromkeys(r for _, rs in commands for r in rs))
        saving, packages = None, ()
        if image is not None and any(layer.captured for layer in image.layers):
            estimate = recommends_estimate(context.packages, step.layer, roots, context.live)
            saving, packages = estimate.bytes, estimate.packages
            if not packages:
                continue
        names = tuple(name for name, _ in packages)
        message = (f"step {step.index} ran `{commands[0][0]}` with Recommends: "
                   + (f"{len(names)} packages ({saving:,} bytes) are there only because "
                      f"something recommended them" if saving is not None
                      else "no package database to estimate from"))
        findings.append(Finding(
            RULE.id, RULE.severity, RULE.title, saving, (step.index,), (),
            "add --no-install-recommends to apt-get install (and add back the few recommended "
            "packages you really use by name)", message, step.base, names))
    return findings


RULE = Rule("LS006", WARNING, "apt-get install without --no-install-recommends", check,
            "Recommends pull in compilers, -dev headers and docs the image rarely needs.")
