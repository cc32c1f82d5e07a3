"""A CDS client's signing keys: made by `moldx-cds keys new`, published as a JWK Set, and used
to sign the JWT that CDS Hooks 2.0 asks for on every call.

A key's `kid` is its RFC 7638 thumbprint unless told otherwise: the client can then tell the
kid from the private key alone, and it always matches the JWK Set written beside it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

MAX_LIFETIME = 300  # seconds: CDS Hooks asks for short-lived tokens; 5 minutes at most
JWKS_FILE = "jwks.json"
ISSUERS_FILE = "trusted-issuers.json"
PRIVATE_KEY_FILES = {"ES384": "private-key-es384.pem", "RS384": "private-key-rs384.pem"}
# The demo client: its private key ships in this package, so it is public. The demo issuers
# file (cds_hooks/common/trust/) trusts it so that curl can reach a local service.
DEMO_KEY_FILE = Path(__file__).parent / "demo-key.pem"
DEMO_ISSUER = "urn:moldx-cds:demo-client"
DEMO_KID = "moldx-cds-demo-1"


class KeyFileError(ValueError):
    """A key file that cannot be used, or files that would be overwritten."""


@dataclass(frozen=True)
class ClientKey:
    """A private signing key with the algorithm and kid its tokens carry."""

    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    kid: str

    @property
    def alg(self) -> str:
        return "ES384" if isinstance(self.private, ec.EllipticCurvePrivateKey) else "RS384"

    @classmethod
    def generate(cls, alg: str = "ES384") -> ClientKey:
        if alg == "ES384":
            private = ec.generate_private_key(ec.SECP384R1())
        elif alg == "RS384":
            private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        else:
            raise KeyFileError(f"cannot make a {alg} key; choose ES384 or RS384")
        return cls(private, thumbprint(_public_jwk(private)))

    @classmethod
    def load(cls, path: Path, kid: str | None = None) -> ClientKey:
        """The PEM private key in `path`; its kid is `kid`, else the key's thumbprint."""
        try:
            private = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        except OSError as bad:
            raise KeyFileError(f"cannot read the key {path}: {bad.strerror}") from None
        except (ValueError, TypeError):
            raise KeyFileError(f"{path} is not an unencrypted PEM private key") from None
        if isinstance(private, ec.EllipticCurvePrivateKey):
            if not isinstance(private.curve, ec.SECP384R1):
                raise KeyFileError(f"{path}: an EC key must be on P-384 to sign ES384")
        elif not isinstance(private, rsa.RSAPrivateKey):
            raise KeyFileError(f"{path}: only EC P-384 (ES384) and RSA (RS384) keys are used")
        return cls(private, kid or thumbprint(_public_jwk(private)))

    def public_jwk(self) -> dict[str, Any]:
        return {**_public_jwk(self.private), "kid": self.kid, "alg": self.alg, "use": "sig"}

    def private_pem(self) -> bytes:
        return self.private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())


def _public_jwk(private: Any) -> dict[str, Any]:
    algorithm = ECAlgorithm if isinstance(private, ec.EllipticCurvePrivateKey) else RSAAlgorithm
    return json.loads(algorithm.to_jwk(private.public_key()))


def thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK: its required members, sorted, no
    whitespace, hashed and base64url-encoded."""
    members = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}[jwk["kty"]]
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def client_token(key: ClientKey, issuer: str, audience: str, *, lifetime: int = MAX_LIFETIME,
                 jku: str | None = None) -> str:
    """A CDS Hooks 2.0 client JWT for one call of `audience` (the exact URL called)."""
    if not 0 < lifetime <= MAX_LIFETIME:
        raise ValueError(f"a token lives at most {MAX_LIFETIME} s")
    now = int(time.time())
    headers = {"kid": key.kid, "typ": "JWT", **({"jku": jku} if jku else {})}
    return jwt.encode({"iss": issuer, "aud": audience, "iat": now, "exp": now + lifetime,
                       "jti": str(uuid.uuid4())},
                      key.private, algorithm=key.alg, headers=headers)


@dataclass(frozen=True)
class KeyFiles:
    private_keys: dict[str, Path]  # by algorithm
    jwks: Path
    issuers: Path


def write_key_files(folder: Path, issuer: str, keys: list[ClientKey], *,
                    jwks_url: str | None = None, fhir_servers: tuple[str, ...] = (),
                    force: bool = False) -> KeyFiles:
    """Write each private key (PEM, readable by its owner only), the JWK Set of their public
    halves, and the MOLDX_CDS_TRUSTED_ISSUERS file that makes the service trust `issuer`: by
    the JWK Set file beside it, or by `jwks_url` where the client will serve that set; its
    calls may name the FHIR servers `fhir_servers` (base URLs) as their fhirServer."""
    folder = Path(folder)
    private = {k.alg: folder / PRIVATE_KEY_FILES[k.alg] for k in keys}
    targets = [*private.values(), folder / JWKS_FILE, folder / ISSUERS_FILE]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not force:
        raise KeyFileError(f"not overwriting {', '.join(existing)} (use --force to replace)")
    folder.mkdir(parents=True, exist_ok=True)
    for key in keys:
        _write_private(private[key.alg], key.private_pem())
    (folder / JWKS_FILE).write_text(json.dumps(
        {"keys": [k.public_jwk() for k in keys]}, indent=2) + "\n")
    (folder / ISSUERS_FILE).write_text(json.dumps(
        {"issuers": [issuer_entry(issuer, jwks_url) | (
            {"fhir_servers": list(fhir_servers)} if fhir_servers else {})]}, indent=2) + "\n")
    return KeyFiles(private, folder / JWKS_FILE, folder / ISSUERS_FILE)


def issuer_entry(issuer: str, jwks_url: str | None = None) -> dict[str, Any]:
    """One issuer of a MOLDX_CDS_TRUSTED_ISSUERS file (see auth.load_issuers)."""
    if jwks_url:  # a token may then name the same URL as its `jku`
        return {"iss": issuer, "jwks_url": jwks_url, "jku": [jwks_url]}
    return {"iss": issuer, "jwks_file": JWKS_FILE}


def _write_private(path: Path, pem: bytes) -> None:
    # Created 0600 from the start (not chmod-ed after), so the key is never readable by others.
    if path.exists():
        path.unlink()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)


def demo_token(audience: str, *, lifetime: int = 300) -> str:
    """A token signed with the demo key; production settings must not trust it."""
    return client_token(ClientKey.load(DEMO_KEY_FILE, DEMO_KID), DEMO_ISSUER, audience,
                        lifetime=lifetime)
