"""Whom the service trusts: the issuers file (MOLDX_CDS_TRUSTED_ISSUERS) and the demo one that
ships in trust/. Read by the settings; the service's auth checks tokens against it.

Each issuer names the FHIR servers its calls may send the service to (`fhir_servers`): a call's
`fhirServer` comes with the EHR's access token, so the service reads only from a base URL the
operator listed for that client (same scheme, host and port, under the listed path), never
from one a caller made up (the token would go there, and the service would be a way into the
hospital network). `*` as the port stands for any port, for loopback servers in development.

`applies_system_actions` (default true) says whether the client's EHR or LIS applies the
system actions of order-sign and order-dispatch. CDS Hooks 2.0 system actions are "not
presented to the user", so a certain fix sent as one is not also put to the clinician as a
card; a client that drops them (the CDS Hooks sandbox does) says false and gets the card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEMO_ISSUERS_FILE = Path(__file__).parent / "trust" / "demo-issuers.json"
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class FhirBase:
    """One allowed FHIR base URL, split for comparing."""

    scheme: str
    host: str
    port: int | None  # None: any port
    path: str  # always ends with /

    @classmethod
    def parse(cls, url: str) -> FhirBase:
        wildcard = ":*" in url
        parts = urlsplit(url.replace(":*", "", 1) if wildcard else url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
        if parts.username is not None or parts.password is not None or parts.query \
                or parts.fragment:
            raise ValueError(f"{url!r} may not carry a user, a query or a fragment")
        return cls(parts.scheme, parts.hostname,
                   None if wildcard else parts.port or DEFAULT_PORTS[parts.scheme],
                   parts.path.rstrip("/") + "/")

    def admits(self, url: str) -> bool:
        """Whether `url` is this base or under it (whole path segments)."""
        try:
            parts = urlsplit(url)
            port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        except ValueError:
            return False
        return (parts.scheme == self.scheme and parts.hostname == self.host
                and parts.username is None and parts.password is None
                and self.port in (None, port) and "/../" not in parts.path + "/"
                and "/./" not in parts.path + "/"
                and (parts.path.rstrip("/") + "/").startswith(self.path))


@dataclass(frozen=True)
class TrustedIssuer:
    iss: str
    jwks_file: Path | None = None
    jwks_url: str | None = None
    jku: frozenset[str] = frozenset()  # the `jku` values a token of this issuer may carry
    test_only: bool = False  # its private key is public (the sandbox's, our demo key)
    fhir_servers: tuple[FhirBase, ...] = ()  # the `fhirServer`s its calls may name
    applies_system_actions: bool = True  # false: its certain fixes are shown as cards too

    def allows_fhir_server(self, url: str) -> bool:
        return any(base.admits(url) for base in self.fhir_servers)


def load_issuers(path: Path) -> tuple[TrustedIssuer, ...]:
    """Trusted issuers from a JSON file `{"issuers": [{"iss", "jwks_file" | "jwks_url",
    "jku": [...], "fhir_servers": [...], "test_only", "applies_system_actions"}]}`; a relative
    `jwks_file` is read beside the file."""
    data = json.loads(Path(path).read_text())
    issuers = []
    for item in data["issuers"]:
        jwks_file = Path(path).parent / item["jwks_file"] if item.get("jwks_file") else None
        if (jwks_file is None) == (item.get("jwks_url") is None):
            raise ValueError(f"{path}: issuer {item.get('iss')!r} needs one of jwks_file "
                             "or jwks_url")
        try:
            servers = tuple(FhirBase.parse(url) for url in item.get("fhir_servers", ()))
        except ValueError as bad:
            raise ValueError(f"{path}: issuer {item.get('iss')!r}: fhir_servers: {bad}") \
                from None
        applies = item.get("applies_system_actions", True)
        if not isinstance(applies, bool):
            raise ValueError(f"{path}: issuer {item.get('iss')!r}: applies_system_actions must "
                             "be true or false")
        issuers.append(TrustedIssuer(iss=item["iss"], jwks_file=jwks_file,
                                     jwks_url=item.get("jwks_url"),
                                     jku=frozenset(item.get("jku", ())),
                                     test_only=bool(item.get("test_only", False)),
                                     fhir_servers=servers, applies_system_actions=applies))
    return tuple(issuers)
