"""LS007: build toolchains and -dev packages in the final image."""

import re

from .base import INFO, Finding, Rule

TOOLCHAIN = re.compile(
    r"^(?:build-essential|gcc(?:-\d+)?|g\+\+(?:-\d+)?|cpp(?:-\d+)?|clang(?:-\d+)?|llvm(?:-\d+)?"
    r"|binutils(?:-.*)?|make|cmake|autoconf|automake|libtool|dpkg-dev|pkg-?config|gfortran.*"
    r"|rustc|cargo|golang(?:-.*)?|.*-dev)$")


def check(context):
    history = context.packages
    if history is None:
        return []
    final = history.final()
    base_layers = context.report.base.layer_count
    base_packages = history.before(base_layers).packages if base_layers else {}
    toolchain = [(name, package, final.owned.get(name, ()))
                 for name, package in final.packages.items()
                 if TOOLCHAIN.match(name) and name not in base_packages]
    if not toolchain:
        return []
    versions = context.visible(path for _, _, owned in toolchain for path in owned)
    found = [(name, sum(versions[path].entry.size for path in owned if path in versions)
              if owned else package.installed_size, owned)
             for name, package, owned in toolchain]
    found.sort(key=lambda item: (-item[1], item[0]))
    steps = set()
    for _, _, owned in found:
        for path in owned:
            version = versions.get(path)
            if version is not None and version.entry.size:
                step = context.writer(version)
                if not context.is_base(step):
                    steps.add(step)
    total = sum(size for _, size, _ in found)
    return [Finding(
        RULE.id, RULE.severity, RULE.title, total, tuple(sorted(steps)), (),
        "build in a separate stage (FROM ... AS build) and COPY --from=build only the results "
        "into a final stage without compilers and headers",
        f"{len(found)} toolchain and -dev packages ({total:,} bytes) are installed in the final "
        f"image: {', '.join(name for name, _, _ in found[:8])}"
        + (", ..." if len(found) > 8 else ""), False, tuple(name for name, _, _ in found),
        removes=context.live_parts(path for _, _, owned in found for path in owned))]


RULE = Rule("LS007", INFO, "build toolchain in the final image", check,
            "Compilers and -dev packages are build-time tools; a multi-stage build drops them.")
