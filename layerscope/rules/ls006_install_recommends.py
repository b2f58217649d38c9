"""LS006: apt-get install without --no-install-recommends, with the bytes the Recommends cost."""

from ..analysis.packages import install_commands, recommends_estimate, skips_recommends
from .base import WARNING, Finding, Rule
from .ls006_records import extra_parts


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
            estimate = recommends_estimate(context.packages, step.layer, roots, context.live_bytes)
            saving, packages = estimate.bytes, estimate.packages
            if not packages:
                continue
        names = tuple(name for name, _ in packages)
        removes = context.live_parts(_owned(context.packages, step.layer, names)) if names else ()
        if names:
            # their control files, generated files and database records go with them
            listed = {(layer, path) for layer, path, _ in removes}
            extra = tuple(part for part in extra_parts(image, context.packages, step.layer, names,
                                                       context.live_parts)
                          if part[:2] not in listed)
            removes += extra
            saving += sum(size for _, _, size in extra)
        message = (f"step {step.index} ran `{commands[0][0]}` with Recommends: "
                   + (f"{len(names)} packages ({saving:,} bytes) are there only because "
                      f"something recommended them" if saving is not None
                      else "no package database to estimate from"))
        findings.append(Finding(
            RULE.id, RULE.severity, RULE.title, saving, (step.index,), (),
            "add --no-install-recommends to apt-get install (and add back the few recommended "
            "packages you really use by name)", message, step.base, names, removes=removes))
    return findings


def _owned(history, layer: int, names):
    """The paths of the named packages, as recommends_estimate weighs them: the final dpkg
    file lists, else the lists as the step left them."""
    state = history.states[layer] or history.final()
    final = history.final()
    for name in names:
        yield from final.owned.get(name) or state.owned.get(name, ())


RULE = Rule("LS006", WARNING, "apt-get install without --no-install-recommends", check,
            "Recommends pull in compilers, -dev headers and docs the image rarely needs.")
