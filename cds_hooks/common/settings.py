"""Settings, read from environment variables prefixed MOLDX_CDS_ (docs/settings.md lists them)."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from plugin.codes import DEFAULT_ZCODE_SYSTEM, CodeSystems
from plugin.knowledge import DEMO_DIR, Lab

from .trust import DEMO_ISSUERS_FILE, TrustedIssuer, load_issuers

PREFIX = "MOLDX_CDS_"
_OFF = {"off", "false", "0", "no"}
_ON = {"on", "true", "1", "yes"}


# Every setting Settings.from_env reads, without the prefix.
SETTINGS = (
    "KNOWLEDGE_DIR", "POLICY_STORE", "ZCODE_SYSTEM", "ZCODE_SYSTEM_ALIASES", "SOURCE_LABEL",
    "MAX_BODY_BYTES", "MAX_CLAIM_BYTES", "AUTH", "TRUSTED_ISSUERS", "PUBLIC_BASE_URL",
    "ALLOW_TEST_ISSUERS", "CORS_ORIGINS", "STORE_URL", "FHIR_CONNECT_TIMEOUT",
    "FHIR_READ_TIMEOUT", "FHIR_DEADLINE", "FHIR_MAX_PAGES", "STORE_OVERRIDE_COMMENTS",
    "LEGACY_SYSTEM_ACTIONS", "STORE_TIMEOUT", "STORE_AUTO_UPGRADE", "SPOOL_DIR",
    "SPOOL_MAX_BYTES", "READY_REQUIRES_STORE", "LOG_FORMAT", "PID_FILE", "MAX_ORDERS",
    "MAX_CLAIM_LOOPS", "SCRUB_CONCURRENCY", "MAX_FEEDBACK_BYTES", "MAX_COMMENT_CHARS",
    "FEEDBACK_PER_MINUTE")
# Read elsewhere: the client's FHIR token (`moldx-cds call`) and the test suite's switches.
OTHER_VARIABLES = (
    "FHIR_TOKEN", "TEST_POSTGRES_URL", "REQUIRE_POSTGRES", "REQUIRE_FHIR_SERVER",
    "REQUIRE_CHROMIUM", "FUZZ_EXAMPLES", "FUZZ_COVERAGE")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class SettingsError(ValueError):
    """An environment variable has a value the service cannot use."""


def unknown_variables(environ: Mapping[str, str] = os.environ) -> list[str]:
    """A line for each MOLDX_CDS_ variable that nothing reads, naming the setting it is
    closest to: a misspelt one is otherwise ignored without a word (and, for the knowledge
    folder, the demo lab serves)."""
    known = {PREFIX + name for name in SETTINGS + OTHER_VARIABLES}
    lines = []
    for name in sorted(n for n in environ if n.startswith(PREFIX) and n not in known):
        close = difflib.get_close_matches(name.removeprefix(PREFIX), SETTINGS, n=1)
        lines.append(f"{name} is not a setting" + (f" (did you mean {PREFIX}{close[0]}?)"
                                                    if close else "") + ": ignored")
    return lines


def store_url(text: str) -> str:
    """The store URL `text` (MOLDX_CDS_STORE_URL or --store-url) as SQLAlchemy reads it: a
    plain file path, which has no scheme, is the SQLite file at that path."""
    if _SCHEME.match(text):
        return text
    path = Path(text).expanduser().absolute()
    if path.is_dir():
        raise SettingsError(f"the store {text} is a folder; name a file in it, such as "
                            f"sqlite:///{path / 'store.sqlite'}")
    return f"sqlite:///{path}"


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The user's data folder of moldx-cds: the default home of the policy store, the audit
    store, its spool and the pid file, so that every command finds them from any folder."""
    data = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "moldx-cds"


def default_policy_store(environ: Mapping[str, str] = os.environ) -> Path:
    """Where `moldx-cds policy import` writes and the service looks."""
    return data_dir(environ) / "policy.sqlite"


def _in_data_dir(environ: Mapping[str, str] = os.environ) -> dict:
    """The defaults that live in the data folder, for `environ`'s XDG_DATA_HOME."""
    folder = data_dir(environ)
    return {"store_url": f"sqlite:///{folder / 'store.sqlite'}",
            "spool_dir": folder / "spool", "pid_file": folder / "serve.pid"}


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path = DEMO_DIR
    # The SQLite policy store to load; None: the knowledge folder's own MCD excerpt (mcd/).
    policy_store: Path | None = None
    zcode_system: str = DEFAULT_ZCODE_SYSTEM
    zcode_system_aliases: frozenset[str] = frozenset()
    source_label: str = "MolDX order coding"
    max_body_bytes: int = 10 * 1024 * 1024
    # POST /claims/scrub holds a worker about 0.6 s per 1,000 lines: 1 MiB is about 9,000.
    max_claim_bytes: int = 1024 * 1024
    # What a trusted client may ask one call to do, by what it costs, not only by bytes: a
    # hook call decides and renders each order (5,000 orders took over two minutes); pyx12
    # walks an 837P loop by loop (3,000 HL levels in 0.9 MB took 10.7 s).
    max_orders: int = 50  # orders in one hook call
    max_claim_loops: int = 1000  # HL and LX loops in one 837P sent to POST /claims/scrub
    scrub_concurrency: int = 1  # scrubs at once, over all workers; more wait (429)
    max_feedback_bytes: int = 64 * 1024  # one feedback POST
    max_comment_chars: int = 1000  # one override's userComment
    feedback_per_minute: int = 60  # feedback POSTs of one issuer, over all workers
    today: Callable[[], date] = field(default=date.today, compare=False)
    # -- protocol and security --
    auth: bool = True  # False only by MOLDX_CDS_AUTH=off, and then loudly
    issuers: tuple[TrustedIssuer, ...] = field(
        default_factory=lambda: load_issuers(DEMO_ISSUERS_FILE))
    public_base_url: str | None = None  # the URL clients call, when a proxy rewrites it
    # Where `serve` listens (its --host/--port): the tokens' audience without a public base URL.
    listen_url: str = "http://127.0.0.1:8080"
    allow_test_issuers: bool = False  # trust test-only issuers on a non-loopback address too
    cors_origins: frozenset[str] = frozenset({"*"})
    store_url: str = field(default_factory=lambda: _in_data_dir()["store_url"])
    fhir_connect_timeout: float = 3.0
    fhir_read_timeout: float = 5.0
    fhir_max_pages: int = 5
    fhir_deadline: float = 10.0  # seconds for all of a hook call's FHIR reads together
    legacy_system_actions: bool = False  # mirror systemActions in extension.systemActions
    store_override_comments: bool = True  # clinicians' free text, which may hold PHI
    # -- store and operations --
    store_timeout: float = 5.0  # seconds to wait for a connection (PostgreSQL) or lock (SQLite)
    store_auto_upgrade: bool = True  # migrate the store's schema at start
    spool_dir: Path = field(  # accepted records not yet in the store
        default_factory=lambda: _in_data_dir()["spool_dir"])
    spool_max_bytes: int = 512 * 1024 * 1024
    ready_requires_store: bool = True  # /readyz is 503 while the store is unreachable
    log_format: str = "json"  # of `serve`: json (one object a line) or text
    pid_file: Path | None = field(  # the gunicorn master's, for `moldx-cds reload`
        default_factory=lambda: _in_data_dir()["pid_file"])

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **overrides) -> Settings:
        def get(name: str) -> str | None:
            value = environ.get(PREFIX + name, "").strip()
            return value or None

        def switch(name: str) -> bool | None:
            value = get(name)
            if value is None:
                return None
            if value.lower() not in _ON | _OFF:
                raise SettingsError(f"{PREFIX}{name} must be on or off, not {value!r}")
            return value.lower() in _ON

        values: dict = _in_data_dir(environ)
        if knowledge := get("KNOWLEDGE_DIR"):
            values["knowledge_dir"] = Path(knowledge)
        if store := get("POLICY_STORE"):
            values["policy_store"] = Path(store)
        elif default_policy_store(environ).is_file():
            values["policy_store"] = default_policy_store(environ)
        if system := get("ZCODE_SYSTEM"):
            values["zcode_system"] = system
        if aliases := get("ZCODE_SYSTEM_ALIASES"):
            values["zcode_system_aliases"] = _names(aliases)
        if label := get("SOURCE_LABEL"):
            values["source_label"] = label
        if limit := get("MAX_BODY_BYTES"):
            values["max_body_bytes"] = _whole(limit, "MAX_BODY_BYTES", "a number of bytes")
        if limit := get("MAX_CLAIM_BYTES"):
            values["max_claim_bytes"] = _whole(limit, "MAX_CLAIM_BYTES", "a number of bytes")
        for name, what in (("MAX_ORDERS", "a number of orders"),
                           ("MAX_CLAIM_LOOPS", "a number of loops"),
                           ("SCRUB_CONCURRENCY", "a number of scrubs"),
                           ("MAX_FEEDBACK_BYTES", "a number of bytes"),
                           ("MAX_COMMENT_CHARS", "a number of characters"),
                           ("FEEDBACK_PER_MINUTE", "a number of posts")):
            if limit := get(name):
                values[name.lower()] = _whole(limit, name, what)
        if (auth := switch("AUTH")) is not None:
            values["auth"] = auth
        if issuers := get("TRUSTED_ISSUERS"):
            values["issuers"] = load_issuers(Path(issuers))
        if base := get("PUBLIC_BASE_URL"):
            values["public_base_url"] = base.rstrip("/")
        if (allow := switch("ALLOW_TEST_ISSUERS")) is not None:
            values["allow_test_issuers"] = allow
        if origins := get("CORS_ORIGINS"):
            values["cors_origins"] = _names(origins)
        if store := get("STORE_URL"):
            values["store_url"] = store_url(store)
        for name in ("FHIR_CONNECT_TIMEOUT", "FHIR_READ_TIMEOUT", "FHIR_DEADLINE"):
            if seconds := get(name):
                values[name.lower()] = _number(seconds, name)
        if pages := get("FHIR_MAX_PAGES"):
            values["fhir_max_pages"] = _whole(pages, "FHIR_MAX_PAGES", "a number of pages")
        if (comments := switch("STORE_OVERRIDE_COMMENTS")) is not None:
            values["store_override_comments"] = comments
        if (legacy := switch("LEGACY_SYSTEM_ACTIONS")) is not None:
            values["legacy_system_actions"] = legacy
        if seconds := get("STORE_TIMEOUT"):
            values["store_timeout"] = _number(seconds, "STORE_TIMEOUT")
        if (upgrade := switch("STORE_AUTO_UPGRADE")) is not None:
            values["store_auto_upgrade"] = upgrade
        if spool := get("SPOOL_DIR"):
            values["spool_dir"] = Path(spool)
        if limit := get("SPOOL_MAX_BYTES"):
            values["spool_max_bytes"] = _whole(limit, "SPOOL_MAX_BYTES", "a number of bytes")
        if (ready := switch("READY_REQUIRES_STORE")) is not None:
            values["ready_requires_store"] = ready
        if log_format := get("LOG_FORMAT"):
            if log_format not in ("json", "text"):
                raise SettingsError(f"{PREFIX}LOG_FORMAT must be json or text, not "
                                    f"{log_format!r}")
            values["log_format"] = log_format
        if pid_file := get("PID_FILE"):
            values["pid_file"] = Path(pid_file)
        return cls(**{**values, **overrides})

    def code_systems(self, lab: Lab) -> CodeSystems:
        return CodeSystems(test=lab.test_code_system, zcode=self.zcode_system,
                           zcode_aliases=self.zcode_system_aliases)

    @property
    def base_url(self) -> str:
        """The base of every URL a client's token must name as its `aud`."""
        return self.public_base_url or self.listen_url

    def listening(self, host: str, port: int) -> Settings:
        """These settings for a service started on `host`:`port`."""
        name = f"[{host}]" if ":" in host else host
        return replace(self, listen_url=f"http://{name}:{port}")

    def refusals(self, host: str) -> list[str]:
        """Why the service must not start on `host` with these settings (none: it may)."""
        problems = []
        if not _loopback(host) and not self.allow_test_issuers:
            problems += [
                f"issuer {i.iss!r} is test-only (its private key is public) and {host} is "
                "not a loopback address: set MOLDX_CDS_TRUSTED_ISSUERS to your clients' "
                f"issuers, or {PREFIX}ALLOW_TEST_ISSUERS=on on a test network"
                for i in self.issuers if i.test_only]
        if _wildcard(host) and not self.public_base_url:
            problems.append(f"{host} is every address of this machine, so the tokens' "
                            f"audience is unknown: set {PREFIX}PUBLIC_BASE_URL to the URL "
                            "clients call (https://cds.example.org)")
        return problems

    def startup_warnings(self) -> list[str]:
        """What an operator must see at start: security that is off or only fit for tests."""
        if not self.auth:
            return ["AUTHENTICATION IS OFF (MOLDX_CDS_AUTH=off): anyone who can reach this "
                    "service can call it. Never run like this with patient data."]
        return [f"TRUSTING A TEST-ONLY ISSUER {i.iss!r}: its private key is public, so anyone "
                "can sign tokens this service accepts. Set MOLDX_CDS_TRUSTED_ISSUERS to your "
                "clients' issuers before using real patient data."
                for i in self.issuers if i.test_only]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return host == ""


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name}: {text!r} is not a number") from None


def _whole(text: str, name: str, what: str) -> int:
    if not text.isdigit():
        raise SettingsError(f"{PREFIX}{name}: {text!r} is not {what}")
    return int(text)


def _names(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())
