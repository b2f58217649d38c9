"""What every command's parser shares: the argument types (errors argparse reports as usage
errors), the options of every command that reads images, and the translation of parsed
arguments into a command's options dataclass."""

from __future__ import annotations

import argparse
import dataclasses


def whole_number(minimum: int, too_small: str):
    """An argparse type for whole numbers of at least `minimum`."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"{value} {too_small}")
        return number

    return parse


positive = whole_number(1, "must be at least 1")
ratio = whole_number(0, "must be 0 (no limit) or more")


def growth(value: str):
    """50MB or 10%: --fail-on-growth's and --max-growth's limit."""
    from ..settings import Invalid, parse_growth

    try:
        return parse_growth(value)
    except Invalid as error:
        raise argparse.ArgumentTypeError(f"{value!r}: {error}") from None


def boolean(value: str) -> bool:
    """true or false, as skopeo's boolean options take them (--tls-verify=false)."""
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise argparse.ArgumentTypeError(f"{value!r} is not true or false")
    return lowered in ("true", "1", "yes")


def size(value: str) -> int:
    """4GiB, 300MB: a size in bytes."""
    from ..settings import Invalid, parse_size

    try:
        return parse_size(value)
    except Invalid as error:
        raise argparse.ArgumentTypeError(f"{value!r}: {error}") from None


def add_reading_options(parser: argparse.ArgumentParser, base: bool = True) -> None:
    """The options every command that reads images shares, with one wording everywhere."""
    from ..layers.limits import DEFAULT_MAX_RATIO

    parser.add_argument("--platform", metavar="OS/ARCH[/VARIANT]",
                        help="platform to select from a multi-platform index "
                             "(default: this machine's)")
    if base:
        parser.add_argument("--base", metavar="REF",
                            help="the base image: its layers are the common prefix (default: a "
                                 "heuristic, the last CMD/ENTRYPOINT or import before the "
                                 "image's own steps)")
    parser.add_argument("--quiet", "-q", action="store_true", help="nothing on stderr but errors")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress lines (they only appear on a terminal anyway)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the layer-index cache")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)
    parser.add_argument("--max-ratio", metavar="N", type=ratio, default=DEFAULT_MAX_RATIO,
                        help="refuse a compressed blob that inflates to more than N times its "
                             f"size, beyond the first 1 GiB (default: {DEFAULT_MAX_RATIO}; "
                             "0: no limit)")
    parser.add_argument("--verify", action="store_true",
                        help="check each layer's sha256 against the config's diff_ids (reads "
                             "every layer again instead of trusting the cache)")
    parser.add_argument("--export", action="store_true",
                        help="read engine images through the engine's export (docker save), "
                             "not from its layer store even where that is readable")
    parser.add_argument("--creds", metavar="USER[:PASSWORD]",
                        help="credentials for docker:// registries (default: "
                             "$LAYERSCOPE_REGISTRY_CREDS, else Docker's config.json and its "
                             "credential helpers, else anonymous)")
    parser.add_argument("--tls-verify", metavar="BOOL", type=boolean, nargs="?", const=True,
                        default=True,
                        help="verify registries' TLS certificates (default: true; "
                             "--tls-verify=false also allows plain HTTP)")
    parser.add_argument("--cert-dir", metavar="DIR",
                        help="trust the CA certificates (*.crt) in DIR for registries, and use "
                             "its client.cert/client.key, as skopeo does")


def options(options_class, args: argparse.Namespace, **extra):
    """The command's options from the parsed arguments: each field from the argument of its
    name (argparse's dest), list values as tuples, `extra` for what needs translating."""
    values = vars(args)
    picked = {}
    for item in dataclasses.fields(options_class):
        if item.name in extra:
            picked[item.name] = extra[item.name]
        elif item.name in values:
            value = values[item.name]
            picked[item.name] = tuple(value) if isinstance(value, list) else value
    return options_class(**picked)


def stdout(output: str | None) -> str | None:
    """`-o -` is stdout, as in curl and tar."""
    return None if output == "-" else output


