"""Whom the service trusts: the issuers file (MOLDX_CDS_TRUSTED_ISSUERS) and the demo one that
ships in trust/. Read by the settings; the service's auth checks tokens against it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DEMO_ISSUERS_FILE = Path(__file__).parent / "trust" / "demo-issuers.json"


@dataclass(frozen=True)
class TrustedIssuer:
    iss: str
    jwks_file: Path | None = None
    jwks_url: str | None = None
    jku: frozenset[str] = frozenset()  # the `jku` values a token of this issuer may carry
    test_only: bool = False  # its private key is public (the sandbox's, our demo key)


def load_issuers(path: Path) -> tuple[TrustedIssuer, ...]:
    """Trusted issuers from a JSON file `{"issuers": [{"iss", "jwks_file" | "jwks_url",
    "jku": [...], "test_only"}]}`; a relative `jwks_file` is read beside the file."""
    data = json.loads(Path(path).read_text())
    issuers = []
    for item in data["issuers"]:
        jwks_file = Path(path).parent / item["jwks_file"] if item.get("jwks_file") else None
        if (jwks_file is None) == (item.get("jwks_url") is None):
            raise ValueError(f"{path}: issuer {item.get('iss')!r} needs one of jwks_file "
                             "or jwks_url")
        issuers.append(TrustedIssuer(iss=item["iss"], jwks_file=jwks_file,
                                     jwks_url=item.get("jwks_url"),
                                     jku=frozenset(item.get("jku", ())),
                                     test_only=bool(item.get("test_only", False))))
    return tuple(issuers)
