"""HTTP to a registry: TLS (or plain HTTP on loopback only), timeouts, retries with backoff,
redirects followed by hand (credentials never leave the registry's host). Every byte fetched is
counted. Blob streams are registry_blob's.

urllib3 itself, not requests over it: a run that reads tables of contents makes a score of small
requests, and requests cost 0.05 s more to import and 0.15 ms more a request than the pool it
drives; nothing requests adds (sessions, cookies, .netrc, environment proxies: all turned off
here before) is used. TLS is verified against the system's CAs, or a --cert-dir's."""

from __future__ import annotations

import ipaddress
import json
import os
import threading
import time
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

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
POOL_SIZE = 16
"""Connections kept a host: enough for the layers fetched at once times the ranges each
fetches at once (3 x 4), since urllib3 logs a warning for every connection it cannot keep."""
BROKEN = (ProtocolError, ReadTimeoutError, SSLError)
"""What a transfer under way fails with when the connection drops, stalls or is cut."""


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


def _pool(access: RegistryAccess) -> urllib3.PoolManager:
    options: dict = {"cert_reqs": "CERT_REQUIRED" if access.tls_verify else "CERT_NONE"}
    if not access.tls_verify:  # asked for: a warning per request would only bury the report
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        options["assert_hostname"] = False
    if access.cert_dir and access.tls_verify:
        bundle = _ca_bundle(access.cert_dir)
        if bundle:
            options["ca_certs"] = bundle
    if access.cert_dir:
        cert, key = (os.path.join(access.cert_dir, name) for name in ("client.cert", "client.key"))
        if os.path.isfile(cert) and os.path.isfile(key):
            options.update(cert_file=cert, key_file=key)
    return urllib3.PoolManager(num_pools=4, maxsize=POOL_SIZE, retries=False, **options)


class Response:
    """A registry's answer, its body not read yet: urllib3's response with the names the
    callers use (`raw` is urllib3's own, for reads of exact sizes)."""

    __slots__ = ("raw", "status_code", "headers")

    def __init__(self, raw) -> None:
        self.raw = raw
        self.status_code: int = raw.status
        self.headers = raw.headers

    def iter_content(self, size: int):
        """The body, `size` bytes at a time."""
        return self.raw.stream(size)

    def read(self) -> bytes:
        """The whole body (read already when the request did not stream)."""
        return self.raw.data

    def json(self):
        """The body as JSON (a ValueError when it is not)."""
        return json.loads(self.raw.data)

    def close(self) -> None:
        """Done with it: the connection goes back to the pool if its body was read to the
        end, else it is closed."""
        self.raw.close()
        self.raw.release_conn()


def request(pool: urllib3.PoolManager, url: str, headers: dict, stream: bool = True,
            fields: dict | None = None, timeout: tuple[float, float] | None = None) -> Response:
    """One GET, no redirect followed and nothing retried (the callers do both by hand)."""
    connect, read = timeout or TIMEOUT
    return Response(pool.request("GET", url, headers=headers, fields=fields, redirect=False,
                                 preload_content=not stream,
                                 timeout=urllib3.Timeout(connect=connect, read=read)))


def _ca_bundle(directory: str) -> str | None:
    """The *.crt files of a --cert-dir in one file urllib3 can take (it wants a file or a
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
    """One registry's HTTP: its base URL, connection pool and counter; `authorize` gives the
    Authorization header for a request to the registry's own host (never sent elsewhere)."""

    def __init__(self, host: str, access: RegistryAccess) -> None:
        self.host = host
        self.access = access
        self.counter = Counter()
        self.pool = _pool(access)
        self._plain = is_loopback(urlsplit("//" + host).hostname or "")
        self.scheme = "https"
        self.authorize = lambda: None

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}{path}"

    def probe(self) -> Response:
        """GET /v2/, choosing https or (for loopback, or with --tls-verify=false) plain http
        when the registry does not speak TLS."""
        if self._plain:
            answer = self._plain_probe()
            if answer is not None:
                return answer
        try:
            return self.get("/v2/", authorized=False)
        except SourceError as error:
            cause = error.__cause__
            if not (self._plain or not self.access.tls_verify) or not isinstance(
                    cause, (NewConnectionError, SSLError, ProtocolError)) \
                    or "certificate verify failed" in str(cause):
                raise  # a certificate that fails is never a reason to drop TLS
        self.scheme = "http"
        return self.get("/v2/", authorized=False)

    def _plain_probe(self) -> Response | None:
        """A loopback registry asked over plain http first: trying https first cost a TLS
        context with the system's CAs loaded (17 ms) and a failed handshake on every run
        against a plain one. The probe carries no credentials, so nothing is given away; a
        registry that speaks TLS refuses or drops plain HTTP, and None sends it to https."""
        self.scheme = "http"
        try:
            response = self.get("/v2/", authorized=False)
        except SourceError as error:
            if not isinstance(error.__cause__, ProtocolError):
                raise  # refused, unresolved, timed out: https fares no better on that port
            response = None  # dropped: a TLS port
        if response is not None and response.status_code in (200, 401):
            return response
        if response is not None:
            response.close()
        self.scheme = "https"
        return None

    def get(self, path: str, headers: dict | None = None, authorized: bool = True,
            stream: bool = False, retry_statuses: bool = True) -> Response:
        """The final response to a GET of `path` (after redirects and retries). Statuses are
        the caller's to judge, but 429 and 5xx are retried first."""
        delay = BACKOFF
        for attempt in range(RETRIES + 1):
            last = attempt == RETRIES
            try:
                response = self._follow(self.url(path), dict(headers or {}), authorized, stream)
            except HTTPError as error:
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
            response = request(self.pool, url, send, stream)
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
        self.pool.clear()


def _transient(error: Exception) -> bool:
    """A failure worth retrying: a dropped or timed-out connection, not a name that does not
    resolve, a port nobody listens on, or a certificate that does not verify."""
    text = str(error)
    return not (isinstance(error, (SSLError, NameResolutionError))
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
    if isinstance(error, SSLError):
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

