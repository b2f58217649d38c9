"""One self-contained HTML page: the report's data as an inert JSON block, the script and the
style inlined, and a Content-Security-Policy that lets the page fetch nothing at all.

Everything the image supplies (paths, instructions, labels) reaches the page only inside the
JSON block, escaped so it cannot close it, and the script puts it on the page as text
(textContent, attribute values), never as markup: a path like `<img src=x onerror=...>` is
shown, not run. The policy's hashes allow exactly the inlined script and style, so even markup
that got in could neither run a script nor load anything."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from importlib import resources

# the characters that could end the <script> block or start markup in it; JSON's \u escapes
# keep the values identical for JSON.parse
_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
            0x2028: "\\u2028", 0x2029: "\\u2029"}


def readable(value):
    """value with every string made printable: a name that was not UTF-8 in the image (kept as
    surrogate escapes) shows its bytes as \\xNN; any other lone surrogate (from a config's
    JSON) as \\udNNN. Either would make the page itself invalid UTF-8."""
    if isinstance(value, str):
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            pass
        try:
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return raw.decode("utf-8", "backslashreplace")
    if isinstance(value, dict):
        return {key: readable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [readable(item) for item in value]
    return value


@cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def page(title: str, document: dict) -> str:
    """The HTML page showing `document` (the kind of report is its "kind")."""
    data = json.dumps(readable(document), separators=(",", ":"), ensure_ascii=False)
    data = data.translate(_ESCAPES)
    script, style = _asset("report.js"), _asset("report.css")
    policy = (f"default-src 'none'; script-src '{_digest(script)}'; "
              f"style-src '{_digest(style)}'; img-src 'none'; form-action 'none'; "
              "base-uri 'none'")
    safe_title = (readable(title).replace("&", "&amp;").replace("<", "&lt;")
                  .replace(">", "&gt;"))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{safe_title}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        "<noscript><p>This report draws its charts with JavaScript; the same figures are in "
        "layerscope's text and JSON reports.</p></noscript>\n"
        "<main id=\"report\" aria-live=\"polite\"></main>\n"
        f"<script type=\"application/json\" id=\"layerscope-data\">{data}</script>\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )
