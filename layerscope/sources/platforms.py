"""Platform strings (os/arch[/variant]) and choosing a manifest from an OCI index."""

from __future__ import annotations

import os

from ..errors import SourceError

MACHINE_TO_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
                   "armv7l": "arm/v7", "armv6l": "arm/v6", "i686": "386", "i386": "386",
                   "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}


def host_platform_string() -> str:
    """The platform of this machine, as linux/<arch>."""
    machine = os.uname().machine.lower()  # what platform.machine() reads, without its 2 ms import
    return f"linux/{MACHINE_TO_ARCH.get(machine, machine)}"


def platform_string(platform: dict) -> str:
    """os/arch[/variant] of an OCI platform object."""
    parts = [platform.get("os", "?"), platform.get("architecture", "?")]
    if platform.get("variant"):
        parts.append(platform["variant"])
    return "/".join(parts)


def matches(wanted: str, platform: dict) -> bool:
    """True when an os/arch[/variant] request selects this platform (variant optional)."""
    wanted_parts = wanted.split("/")
    have = platform_string(platform).split("/")
    return have[: len(wanted_parts)] == wanted_parts


def choose(descriptors: list[dict], wanted: str | None, where: str) -> dict:
    """Pick the manifest descriptor for the wanted platform (default: this host's)."""
    images = [
        d for d in descriptors
        if d.get("platform", {}).get("os") != "unknown"  # buildkit attestation manifests
    ]
    if len(images) == 1 and (wanted is None or "platform" not in images[0]):
        return images[0]  # a lone descriptor without a platform (a nested index) has no rival
    target = wanted or host_platform_string()
    found = [d for d in images if matches(target, d.get("platform", {}))]
    if len(found) == 1:
        return found[0]
    available = ", ".join(sorted(platform_string(d.get("platform", {})) for d in images)) or "none"
    if not found:
        raise SourceError(
            f"{where} has no image for platform {target}; available: {available}",
            hint="choose one with --platform",
        )
    raise SourceError(
        f"{where} has several images for platform {target}; available: {available}",
        hint="name the variant too, e.g. --platform linux/arm/v7",
    )


def check_image_platform(wanted: str | None, platform: dict, ref: str) -> None:
    """Refuse an image whose own platform (its config's, or the engine's record of it) is not
    the one --platform asks for: an engine image, an archive or a layout holding one image has
    no other platform to choose. A component the image does not state (an empty config, no
    variant) does not contradict the request."""
    if wanted is None:
        return
    have = [str(platform.get(key) or "") for key in ("os", "architecture", "variant")]
    asked = wanted.split("/")
    if all(not part or not mine or part == mine for part, mine in zip(asked, have)):
        return
    stated = "/".join(part for part in have if part)
    raise SourceError(
        f"{ref} is an image for {stated}, not {wanted} (--platform)",
        hint=f"this image holds {stated} only; read {wanted} from a registry (docker://...) "
             "or from an OCI layout that holds it",
    )
