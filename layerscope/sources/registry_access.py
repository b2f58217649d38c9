"""How to reach registries, as the user asked: kept apart from the HTTP client so that naming
it imports neither urllib3 nor the registry source."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RegistryAccess:
    """How to reach registries: the credentials and TLS settings the user gave."""

    creds: str | None = None
    """USER[:PASSWORD] from --creds (or the environment); None: look them up."""
    tls_verify: bool = True
    """False (--tls-verify=false): accept any certificate, and plain HTTP anywhere."""
    cert_dir: str | None = None
    """A directory of *.crt CA certificates (and client.cert/client.key) to trust, as skopeo's."""
