"""An engine image's inspect record asked for over the engine's local socket with the standard
library, without the docker SDK.

Reading an image from the engine's layer store needs one answer from the engine: the image's
inspect record (its ID, layers, tags and where the store keeps them). Importing the docker SDK
(requests, urllib3 and its own modules) and its version ping cost 0.1-0.25 s, a third of a
store read of the story's v1; one GET over a unix socket costs a few milliseconds. So only the
good answer is taken here: anything else (another transport than a local socket, no engine, an
image that is not there, an error) returns None, and the engine source asks again through the
SDK, whose answers and errors are the ones the user sees.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from urllib.parse import quote

DEFAULT_SOCKET = "/var/run/docker.sock"
"""Where the SDK looks for the engine when DOCKER_HOST is not set."""
TIMEOUT = 600
"""Seconds to wait for the engine, as the engine source's SDK client does."""
MAX_RECORD = 64 << 20
"""Bytes of an inspect record read at most (a record is a few kilobytes)."""


class _UnixConnection(http.client.HTTPConnection):
    """An HTTP connection to a unix socket."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=TIMEOUT)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(self.path)


def docker_host() -> str:
    """The engine address the SDK will try."""
    return os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"


def engine_socket() -> str | None:
    """The path of the engine's unix socket the SDK would use, or None for another transport."""
    host = docker_host()
    return host.removeprefix("unix://") if host.startswith("unix:///") else None


def inspect_directly(name: str) -> dict | None:
    """The engine's inspect record of image `name` (GET /images/NAME/json, the name quoted as
    the SDK quotes it), or None when it could not be had this way."""
    path = engine_socket()
    if path is None:
        return None
    connection = _UnixConnection(path)
    try:
        connection.request("GET", f"/images/{quote(name, safe='/:')}/json")
        response = connection.getresponse()
        if response.status != http.client.OK:
            return None
        record = json.loads(response.read(MAX_RECORD))
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        connection.close()
    return record if isinstance(record, dict) and isinstance(record.get("Id"), str) else None
