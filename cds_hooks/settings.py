"""Settings, read from environment variables prefixed MOLDX_CDS_ (documented in README.md)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from plugin.codes import DEFAULT_ZCODE_SYSTEM, CodeSystems
from plugin.knowledge import DEMO_DIR, Lab

PREFIX = "MOLDX_CDS_"


class SettingsError(ValueError):
    """An environment variable has a value the service cannot use."""


def default_policy_store(environ: Mapping[str, str] = os.environ) -> Path:
    """Where `moldx-cds policy import` writes and the service looks: the user's data folder."""
    data = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "moldx-cds" / "policy.sqlite"


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path = DEMO_DIR
    # The SQLite policy store to load; None: the knowledge folder's own MCD excerpt (mcd/).
    policy_store: Path | None = None
    zcode_system: str = DEFAULT_ZCODE_SYSTEM
    zcode_system_aliases: frozenset[str] = frozenset()
    source_label: str = "MolDX order coding"
    max_body_bytes: int = 10 * 1024 * 1024
    today: Callable[[], date] = field(default=date.today, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **overrides) -> Settings:
        def get(name: str) -> str | None:
            value = environ.get(PREFIX + name, "").strip()
            return value or None

        values: dict = {}
        if knowledge := get("KNOWLEDGE_DIR"):
            values["knowledge_dir"] = Path(knowledge)
        if store := get("POLICY_STORE"):
            values["policy_store"] = Path(store)
        elif default_policy_store(environ).is_file():
            values["policy_store"] = default_policy_store(environ)
        if system := get("ZCODE_SYSTEM"):
            values["zcode_system"] = system
        if aliases := get("ZCODE_SYSTEM_ALIASES"):
            values["zcode_system_aliases"] = frozenset(
                a.strip() for a in aliases.split(",") if a.strip())
        if label := get("SOURCE_LABEL"):
            values["source_label"] = label
        if limit := get("MAX_BODY_BYTES"):
            if not limit.isdigit():
                raise SettingsError(f"{PREFIX}MAX_BODY_BYTES: {limit!r} is not a number of bytes")
            values["max_body_bytes"] = int(limit)
        return cls(**{**values, **overrides})

    def code_systems(self, lab: Lab) -> CodeSystems:
        return CodeSystems(test=lab.test_code_system, zcode=self.zcode_system,
                           zcode_aliases=self.zcode_system_aliases)
