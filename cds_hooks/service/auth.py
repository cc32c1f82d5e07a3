"""Who may call the service: CDS Hooks 2.0 client JWTs, checked against trusted issuers.

A client signs each call with its private key (ES384 or RS384 recommended, any asymmetric
algorithm accepted, never `none` or HMAC) and names the key by `kid`. We trust an issuer only
as configured: its JWK Set from a pinned file or a URL we chose, or from the token's `jku` when
that exact URL is on the issuer's allow-list (a pinned file then stands for what the `jku`
serves, so a client whose `jku` host is unreachable, like the CDS Hooks sandbox, still works).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import jwt
import orjson
import requests

from cds_hooks.common.trust import TrustedIssuer

log = logging.getLogger("moldx_cds.auth")

ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                        "ES256", "ES256K", "ES384", "ES512", "EdDSA"})
LEEWAY = 30  # seconds of clock skew allowed on exp and iat
MAX_LIFETIME = 300  # exp - iat, in seconds (CDS Hooks: "5 minutes or less"), plus LEEWAY
MAX_JTI = 255  # characters; longer ids are refused before they reach the store
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
JWKS_LIFESPAN = 300  # seconds a JWK Set is reused before it is read again
# Seconds the keys last read keep serving while the set cannot be read again: past this, a
# key its client removed (and an attacker holding it) would outlive any bound.
JWKS_MAX_STALE = 900
REFETCH_AFTER = 30  # seconds between reads caused by an unknown kid
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*={0,2}")  # base64url, as JWS compact segments are


class AuthError(Exception):
    """A call that is not authenticated; `reason` goes to the client's OperationOutcome and
    the log. It quotes what the token said only through `shown`, never raw: the token is
    attacker input, and once put a non-ASCII byte into a header (a 500)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def shown(value: Any, limit: int = 80) -> str:
    """A value from a token, for a message: ASCII only, quoted, at most `limit` characters."""
    text = ascii(value) if isinstance(value, str) else ascii(str(value))
    return text if len(text) <= limit else text[:limit] + "...'"


class ReplayGuard(Protocol):
    def first_use(self, issuer: str, jti: str, expires_at: float) -> bool:
        """Record the token id; False when it was seen before and has not expired."""


class _KeySet:
    """A JWK Set by kid, loaded again once it is JWKS_LIFESPAN old, or when a token names a
    kid it lacks (keys rotate), but never more often than every REFETCH_AFTER seconds: tokens
    with made-up kids, or an issuer that is down, must not make us hammer it. While a reload
    fails, the keys loaded before keep serving, until they are JWKS_MAX_STALE old."""

    def __init__(self, load: Callable[[], Any], clock: Callable[[], float] = time.monotonic):
        self._load = load
        self._clock = clock
        self._keys: dict[str, dict[str, Any]] = {}
        self._tried_at: float | None = None
        self._loaded_at: float | None = None
        self._failure: AuthError | None = None
        self._lock = threading.Lock()
        # Key objects by (kid, alg): building one from its JWK cost about 40 us a call.
        self._built: dict[tuple[str, str], jwt.PyJWK] = {}

    def key(self, kid: str, alg: str) -> jwt.PyJWK:
        """The key `kid` as a key object for verifying `alg` (PyJWTError when it cannot be
        one). A key that names its algorithm verifies only that one; a key that does not is
        bound to the token's (asymmetric) algorithm, and refused if its type differs."""
        jwk = self.get(kid)
        built = self._built.get((kid, alg))
        if built is None:
            built = jwt.PyJWK(jwk, None if jwk.get("alg") else alg)
            self._built[(kid, alg)] = built
        return built

    def get(self, kid: str) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            due = self._loaded_at is None or now - self._loaded_at > JWKS_LIFESPAN \
                or kid not in self._keys
            if due and (self._tried_at is None or now - self._tried_at > REFETCH_AFTER):
                self._tried_at = now
                try:
                    self._keys, self._loaded_at, self._failure = \
                        _signing_keys(self._load()), now, None
                    self._built = {}  # a kid may name another key now
                except AuthError as bad:
                    self._failure = bad
            if self._loaded_at is not None and now - self._loaded_at > JWKS_MAX_STALE:
                self._keys, self._built = {}, {}
            key = self._keys.get(kid)
            failure = self._failure
        if key is None:
            raise failure or AuthError(f"unknown kid {shown(kid)}")
        return key


def _signing_keys(jwks: Any) -> dict[str, dict[str, Any]]:
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list):
        raise AuthError("the issuer's JWK Set has no keys")
    return {k["kid"]: k for k in keys
            if isinstance(k, dict) and k.get("kid") and k.get("use", "sig") == "sig"}


def _fetch_jwks(url: str, timeout: float) -> Any:
    """A JWK Set over HTTP, without following redirects (they could swap in another host's
    keys)."""
    try:
        response = requests.get(url, timeout=timeout, allow_redirects=False,
                                headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as bad:
        log.warning("JWK Set %s could not be fetched: %s", url, bad)
        raise AuthError(f"the issuer's keys could not be fetched from {url}") from None


class Verifier:
    """Checks bearer tokens; one per app, safe to share between threads."""

    def __init__(self, issuers: tuple[TrustedIssuer, ...], replay: ReplayGuard,
                 jwks_timeout: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self._issuers = {i.iss: i for i in issuers}
        self._replay = replay
        self._timeout = jwks_timeout
        self._clock = clock
        self._sources: dict[tuple[str, str | None], _KeySet] = {}
        self._lock = threading.Lock()

    def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The token's claims, or AuthError saying why it is refused."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("no bearer token in the Authorization header")
        token = token.strip()
        header, unverified = _unverified(token)
        if str(header.get("typ", "")).upper() != "JWT":
            raise AuthError("the token's typ must be JWT")
        alg = header.get("alg")
        if alg not in ASYMMETRIC:
            raise AuthError(f"algorithm {shown(alg)} is not accepted; sign with ES384 or RS384")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("the token has no kid")
        iss = unverified.get("iss")
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthError(f"issuer {shown(iss)} is not trusted; iss must be the issuer "
                            "this service was configured to trust for your client")
        jku = header.get("jku")
        if jku is not None and jku not in issuer.jku:
            raise AuthError(f"jku {shown(jku)} is not allowed for issuer {shown(issuer.iss)}")
        keys = self._keys(issuer, jku)
        try:
            key = keys.key(kid, alg)
            claims = jwt.decode(token, key, algorithms=[alg], audience=audience,
                                issuer=issuer.iss, leeway=LEEWAY,
                                options={"require": list(REQUIRED_CLAIMS)})
        except jwt.InvalidAudienceError:
            raise AuthError(f"the token's aud must be {audience}, the URL of this "
                            "service") from None
        except jwt.PyJWTError as bad:
            raise AuthError(f"token refused: {shown(str(bad), 200)}") from None
        if claims["aud"] not in (audience, [audience]):
            # PyJWT accepts an array that names us among others: a token meant for several
            # services would be good at each, and each could replay it here.
            raise AuthError(f"the token's aud must be {audience} alone, the URL of this "
                            "service")
        if not isinstance(claims["jti"], str) or not claims["jti"]:
            raise AuthError("the token's jti must be a non-empty string")
        if len(claims["jti"]) > MAX_JTI:
            raise AuthError(f"the token's jti is longer than {MAX_JTI} characters")
        if not (claims["jti"].isascii() and claims["jti"].isprintable()):
            raise AuthError("the token's jti must be printable ASCII (a UUID will do)")
        lifetime = claims["exp"] - claims["iat"] \
            if all(isinstance(claims[c], int | float) for c in ("exp", "iat")) else None
        if lifetime is None or lifetime > MAX_LIFETIME + LEEWAY:
            raise AuthError(f"the token lives longer than {MAX_LIFETIME} s (exp - iat); "
                            "sign one per call")
        if not self._replay.first_use(issuer.iss, claims["jti"], claims["exp"] + LEEWAY):
            raise AuthError("the token was used before (jti replayed)")
        return claims

    def _keys(self, issuer: TrustedIssuer, jku: str | None) -> _KeySet:
        url = None if issuer.jwks_file else (jku or issuer.jwks_url)
        with self._lock:
            source = self._sources.get((issuer.iss, url))
            if source is None:
                path = issuer.jwks_file
                source = _KeySet((lambda: json.loads(path.read_text())) if path
                                 else (lambda: _fetch_jwks(url, self._timeout)), self._clock)
                self._sources[(issuer.iss, url)] = source
        return source


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWS, read once and unverified, only to choose the
    issuer and key: jwt.decode then checks the whole token. (PyJWT's own unverified reads
    parsed the token twice more, checking each character in Python: 0.2 ms a call.)"""
    parts = token.split(".")
    if len(parts) != 3:
        raise AuthError("the bearer token is not a JWT")
    try:
        header, claims = (orjson.loads(base64.urlsafe_b64decode(_padded(p)))
                          for p in parts[:2])
    except (ValueError, binascii.Error):
        raise AuthError("the bearer token is not a JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise AuthError("the bearer token is not a JWT")
    return header, claims


def _padded(segment: str) -> str:
    if not _SEGMENT.fullmatch(segment):
        raise ValueError("not base64url")
    segment = segment.rstrip("=")
    return segment + "=" * (-len(segment) % 4)
