"""Registry credentials as Docker users have them, and the challenge they answer.

Where credentials come from, first found wins: --creds, $LAYERSCOPE_REGISTRY_CREDS, then
$DOCKER_CONFIG/config.json (default ~/.docker/config.json) as Docker reads it: its `credHelpers`
entry for the registry, its `credsStore`, its `auths` entry, each helper run as
`docker-credential-NAME get`.
None found: anonymous. The registry's 401 challenge says how to use them: Basic, or a Bearer
token from the realm it names (service and scope as given). A secret is held only here: it
never reaches a message, a repr or the cache."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from dataclasses import dataclass, field

from urllib3.exceptions import HTTPError

from ..errors import SourceError
from .registry_http import Http, Response, request

CREDS_VARIABLE = "LAYERSCOPE_REGISTRY_CREDS"
HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
"""The names config.json files give Docker Hub."""
HELPER_TIMEOUT = 30
_PARAMETER = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and secret, and where they were found (for messages)."""

    username: str = field(repr=False)
    """The user name (not shown in messages either: some helpers put tokens there)."""
    secret: str = field(repr=False)
    """The password or token."""
    origin: str = ""
    """Where they came from: "--creds", "$LAYERSCOPE_REGISTRY_CREDS", "config.json auths", ..."""

    def basic(self) -> str:
        """The Basic Authorization header value."""
        pair = f"{self.username}:{self.secret}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


def split_creds(value: str, origin: str) -> Credentials:
    """USER[:PASSWORD] as --creds takes it."""
    username, _, secret = value.partition(":")
    if not username:
        raise SourceError(f"{origin} gives no user name", hint="give USER[:PASSWORD]")
    return Credentials(username, secret, origin)


def find_credentials(host: str, creds: str | None) -> Credentials | None:
    """The credentials for a registry host, looked up as the module docstring says."""
    if creds:
        return split_creds(creds, "--creds")
    if os.environ.get(CREDS_VARIABLE):
        return split_creds(os.environ[CREDS_VARIABLE], f"${CREDS_VARIABLE}")
    directory = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    path = os.path.join(directory, "config.json")
    config = _docker_config(path)
    return None if config is None else _from_config(config, _keys(host), path)


def _docker_config(path: str) -> dict | None:
    try:
        with open(path, "rb") as handle:
            config = json.loads(handle.read(1 << 20))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise SourceError(f"cannot read {path}: {error}") from error
    return config if isinstance(config, dict) else None


def _from_config(config: dict, keys: tuple[str, ...], path: str) -> Credentials | None:
    """credHelpers, then auths, then credsStore, as Docker looks."""
    helpers = config.get("credHelpers") or {}
    for key in keys:
        if isinstance(helpers, dict) and isinstance(helpers.get(key), str):
            return _from_helper(helpers[key], key)
    store = config.get("credsStore")
    if isinstance(store, str) and store:  # its auths entries are placeholders
        for key in keys:
            found = _from_helper(store, key, missing_ok=True)
            if found is not None:
                return found
    auths = config.get("auths") or {}
    for stored, entry in (auths.items() if isinstance(auths, dict) else ()):
        if _normalise(stored) in keys and isinstance(entry, dict):
            found = _from_auths(entry, path)
            if found is not None:
                return found
    return None


def _normalise(key: str) -> str:
    """A config.json key as Docker compares them: no scheme, no path."""
    return key.split("://", 1)[-1].split("/", 1)[0]


def _keys(host: str) -> tuple[str, ...]:
    return HUB_KEYS if host in HUB_KEYS else (host,)


def _from_auths(entry: dict, path: str) -> Credentials | None:
    origin = f"the auths entry of {path}"
    if isinstance(entry.get("auth"), str) and entry["auth"]:
        try:
            decoded = base64.b64decode(entry["auth"], validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as error:
            raise SourceError(f"{origin} has an auth value that is not base64 of USER:PASSWORD") \
                from error
        return split_creds(decoded, origin)
    if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
        return Credentials(entry["username"], entry["password"], origin)
    return None


def _from_helper(name: str, key: str, missing_ok: bool = False) -> Credentials | None:
    program = f"docker-credential-{name}"
    origin = f"the credential helper {program}"
    try:
        done = subprocess.run([program, "get"], input=key.encode(), capture_output=True,
                              timeout=HELPER_TIMEOUT, check=False)
    except FileNotFoundError as error:
        raise SourceError(f"{origin} named in config.json is not installed") from error
    except subprocess.TimeoutExpired as error:
        raise SourceError(f"{origin} did not answer within {HELPER_TIMEOUT} s") from error
    if done.returncode != 0:
        # helpers say "credentials not found in native keychain" for an unknown server
        if missing_ok or b"not found" in done.stdout + done.stderr:
            return None
        raise SourceError(f"{origin} failed (exit {done.returncode})")
    try:
        answer = json.loads(done.stdout)
        return Credentials(str(answer["Username"]), str(answer["Secret"]), origin)
    except (ValueError, KeyError, TypeError) as error:
        raise SourceError(f"{origin} answered something other than its JSON") from error


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """(scheme in lower case, parameters) of a WWW-Authenticate header."""
    scheme, _, rest = header.strip().partition(" ")
    parameters = {name.lower(): (quoted if quoted or plain == "" else plain).replace('\\"', '"')
                  for name, quoted, plain in _PARAMETER.findall(rest)}
    return scheme.lower(), parameters


class Authenticator:
    """Answers a registry's 401 challenge for one repository and keeps the header that works."""

    def __init__(self, http: Http, repository: str, credentials: Credentials | None) -> None:
        self._http = http
        self._repository = repository
        self._credentials = credentials
        self._header: str | None = None
        http.authorize = lambda: self._header

    def tried(self) -> str:
        """What was tried, for messages: where the credentials came from, never them."""
        if self._credentials is None:
            return "no credentials (none given or found: --creds, $LAYERSCOPE_REGISTRY_CREDS, " \
                   "docker login)"
        return f"the credentials from {self._credentials.origin}"

    def answer(self, response: Response) -> None:
        """Authenticate as the 401 response's challenge asks (a SourceError when it cannot)."""
        scheme, parameters = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if scheme == "basic":
            if self._credentials is None:
                raise self.refused(401)
            self._header = self._credentials.basic()
        elif scheme == "bearer" and parameters.get("realm"):
            self._header = "Bearer " + self._token(parameters)
        else:
            raise SourceError(f"registry {self._http.host} asks for authentication it does not "
                              "describe (no Basic or Bearer challenge)")

    def _token(self, parameters: dict[str, str]) -> str:
        query = {"scope": parameters.get("scope") or f"repository:{self._repository}:pull"}
        if parameters.get("service"):
            query["service"] = parameters["service"]
        headers = {} if self._credentials is None else {"Authorization": self._credentials.basic()}
        realm = parameters["realm"]
        try:
            self._http.counter.add(1)
            reply = request(self._http.pool, realm, headers, stream=False, fields=query,
                            timeout=(30.0, 30.0))
        except HTTPError as error:
            raise SourceError(f"cannot reach the token service of registry {self._http.host} "
                              f"({_host(realm)}): {type(error).__name__}") from error
        if reply.status_code in (401, 403):
            raise SourceError(f"the token service of registry {self._http.host} refused "
                              f"{self.tried()} ({reply.status_code})",
                              hint="check the user name and password (docker login, --creds)")
        if reply.status_code != 200:
            raise SourceError(f"the token service of registry {self._http.host} answered "
                              f"{reply.status_code}")
        try:
            body = reply.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError) as error:
            raise SourceError(f"the token service of registry {self._http.host} answered "
                              "something other than a token") from error
        if not isinstance(token, str) or not token:
            raise SourceError(f"the token service of registry {self._http.host} gave no token")
        return token

    def refused(self, status: int) -> SourceError:
        """The error for a 401 or 403 after authenticating."""
        what = "refused access to" if status == 403 else "did not accept the authentication for"
        return SourceError(f"registry {self._http.host} {what} {self._repository} ({status}); "
                           f"tried {self.tried()}",
                           hint="check the credentials and that they may pull this repository")


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]
