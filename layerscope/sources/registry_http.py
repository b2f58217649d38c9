"""HTTP to a registry: TLS (or plain HTTP on loopback only), timeouts, retries with backoff,
redirects followed by hand (credentials never leave the registry's host). Every byte fetched is
counted. Blob streams are registry_blob's."""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from urllib.parse import urljoin, urlsplit

import requests

from ..errors import SourceError
from .registry_access import RegistryAccess

TIMEOUT = (10.0, 30.0)
"""(connect, read) seconds: a server that stops sending for 30 s has stopped."""
RETRIES = 4
"""Attempts after the first for a dropped connection, a 429 or a 5xx."""
BACKOFF = 0.5
"""Seconds before the first retry, doubled each time (a Retry-After of at most 30 s wins)."""
MAX_REDIRECTS = 5
STATS_VARIABLE = "LAYERSCOPE_REGISTRY_STATS"
"""Names a file to which each run appends "<requests> <bytes fetched>" (the bench reads it)."""
RETRIED = {429, 500, 502, 503, 504}


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: a registry Docker lets one speak plain HTTP to."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Counter:
    """Requests made and bytes fetched, across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.bytes = 0
        self._reported = (0, 0)

    def add(self, requests_made: int = 0, fetched: int = 0) -> None:
        with self._lock:
            self.requests += requests_made
            self.bytes += fetched

    def report(self) -> None:
        """Append the figures since the last report to the file STATS_VARIABLE names, if any
        (a run's lines add up to its totals)."""
        path = os.environ.get(STATS_VARIABLE)
        with self._lock:
            requests_made, fetched = self.requests, self.bytes
            before, self._reported = self._reported, (requests_made, fetched)
        if path and (requests_made, fetched) != before:
            with open(path, "a", encoding="ascii") as handle:
                handle.write(f"{requests_made - before[0]} {fetched - before[1]}\n")


def _session(access: RegistryAccess, host: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no ~/.netrc credentials sent behind the user's back
    session.verify = access.tls_verify
    if not access.tls_verify:  # asked for: a warning per request would only bury the report
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    if access.cert_dir and access.tls_verify:
        bundle = _ca_bundle(access.cert_dir)
        if bundle:
            session.verify = bundle
    if access.cert_dir:
        cert, key = (os.path.join(access.cert_dir, name) for name in ("client.cert", "client.key"))
        if os.path.isfile(cert) and os.path.isfile(key):
            session.cert = (cert, key)
    return session


def _ca_bundle(directory: str) -> str | None:
    """The *.crt files of a --cert-dir in one file requests can take (it wants a file or a
    hashed directory; skopeo's layout is neither)."""
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(".crt"))
    except OSError as error:
        raise SourceError(f"cannot read --cert-dir {directory}: {error.strerror}") from error
    if not names:
        return None
    target = os.path.join(directory, ".layerscope-ca-bundle.pem")
    bundle = b"".join(open(os.path.join(directory, n), "rb").read() + b"\n" for n in names)
    try:
        with open(target, "wb") as handle:
            handle.write(bundle)
    except OSError:  # a read-only directory: a private copy elsewhere
        import tempfile

        handle, target = tempfile.mkstemp(suffix=".pem")
        os.write(handle, bundle)
        os.close(handle)
    return target


class Http:
    """One registry's HTTP: its base URL, session and counter; `authorize` gives the
    Authorization header for a request to the registry's own host (never sent elsewhere)."""

    def __init__(self, host: str, access: RegistryAccess) -> None:
        self.host = host
        self.access = access
        self.counter = Counter()
        self.session = _session(access, host)
        self._plain = is_loopback(urlsplit("//" + host).hostname or "")
        self.scheme = "https"
        self.authorize = lambda: None

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}{path}"

    def probe(self) -> requests.Response:
        """GET /v2/, choosing https or (for loopback, or with --tls-verify=false) plain http
        when the registry does not speak TLS."""
        try:
            return self.get("/v2/", authorized=False)
        except SourceError as error:
            cause = error.__cause__
            if not (self._plain or not self.access.tls_verify) or not isinstance(
                    cause, requests.ConnectionError) or "certificate verify failed" in str(cause):
                raise  # a certificate that fails is never a reason to drop TLS
        self.scheme = "http"
        return self.get("/v2/", authorized=False)

    def get(self, path: str, headers: dict | None = None, authorized: bool = True,
            stream: bool = False, retry_statuses: bool = True) -> requests.Response:
        """The final response to a GET of `path` (after redirects and retries). Statuses are
        the caller's to judge, but 429 and 5xx are retried first."""
        delay = BACKOFF
        for attempt in range(RETRIES + 1):
            last = attempt == RETRIES
            try:
                response = self._follow(self.url(path), dict(headers or {}), authorized, stream)
            except (requests.ConnectionError, requests.Timeout) as error:
                if last or not _transient(error):
                    raise SourceError(f"cannot reach registry {self.host}: {reason(error)}",
                                      hint=_tls_hint(error)) from error
            else:
                if not (retry_statuses and response.status_code in RETRIED) or last:
                    return response
                delay = _retry_after(response, delay)
                response.close()
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _follow(self, url: str, headers: dict, authorized: bool, stream: bool):
        seen = set()
        for _ in range(MAX_REDIRECTS + 1):
            send = dict(headers)
            if authorized and urlsplit(url).netloc == self.host:
                token = self.authorize()
                if token:
                    send["Authorization"] = token
            self.counter.add(1)
            response = self.session.get(url, headers=send, stream=stream, timeout=TIMEOUT,
                                         allow_redirects=False)
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            target = urljoin(url, response.headers.get("Location", ""))
            response.close()
            if target in seen or not target:
                break
            seen.add(target)
            if urlsplit(target).scheme == "http" and not is_loopback(urlsplit(target).hostname or "") \
                    and self.access.tls_verify:
                raise SourceError(f"registry {self.host} redirected to plain HTTP ({_host(target)})")
            url = target
        raise SourceError(f"registry {self.host} redirects in a loop (or more than "
                          f"{MAX_REDIRECTS} times) for {_path(url)}")

    def close(self) -> None:
        self.session.close()


def _transient(error: Exception) -> bool:
    """A failure worth retrying: a dropped or timed-out connection, not a name that does not
    resolve, a port nobody listens on, or a certificate that does not verify."""
    text = str(error)
    return not (isinstance(error, requests.exceptions.SSLError)
                or any(marker in text for marker in ("NameResolution", "Name or service",
                                                     "Connection refused", "name resolution")))


def _retry_after(response, delay: float) -> float:
    try:
        return min(30.0, max(delay, float(response.headers.get("Retry-After", ""))))
    except ValueError:
        return delay


def reason(error: Exception) -> str:
    """A failed connection's cause in a few words."""
    text = str(error)
    for marker in ("Read timed out", "Connection refused", "certificate verify failed",
                   "Name or service not known", "Temporary failure in name resolution",
                   "timed out", "Connection reset", "Connection aborted"):
        if marker in text:
            return marker.lower()
    return type(error).__name__


def _tls_hint(error: Exception) -> str | None:
    if isinstance(error, requests.exceptions.SSLError):
        return "trust its CA with --cert-dir DIR, or (at your own risk) --tls-verify=false"
    return None


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _path(url: str) -> str:
    return urlsplit(url).path


def status_error(host: str, status: int, what: str) -> SourceError:
    """The error for a registry's answer other than success (401 and 403 are registry_auth's)."""
    if status == 404:
        return SourceError(f"registry {host} has no {what} (404)")
    if status == 429 or status >= 500:
        return SourceError(f"registry {host} answered {status} for {what}, also after "
                           f"{RETRIES} retries", hint="try again later")
    return SourceError(f"registry {host} answered {status} for {what}")

