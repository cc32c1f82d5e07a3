"""The house's rule: every import points down, toward the domain (docs/architecture in the
README). A room may import the domain and the rooms below it, never one above or beside it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.processes import ROOT

# Each room of cds_hooks and the rooms it may import; the command line and the serving entry
# points (wsgi, gunicorn_conf) sit on top and may import every room.
BELOW = {
    "common": set(),
    "fhir": {"common"},
    "store": {"common"},
    "coverage_api": {"common"},
    "service": {"common", "fhir", "store", "claims"},
    "client": {"common", "fhir"},
    "report": {"common", "store"},
    "claims": {"common", "store"},
}
TOP = {"cli", "wsgi", "gunicorn_conf"}
NOT_IN_DOMAIN = ("cds_hooks", "flask", "requests", "werkzeug", "gunicorn", "sqlalchemy", "jwt")


def imports(path: Path, root: Path = ROOT) -> list[str]:
    """Every module `path` imports, at the top or inside a function, as absolute names."""
    package = ".".join(path.relative_to(root).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found += [module] if node.module else [f"{module}.{a.name}" for a in node.names]
    return found


def room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "cds_hooks" and len(parts) > 1 else None


def upward_imports(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "cds_hooks").rglob("*.py")):
        here = room(".".join(path.relative_to(root).with_suffix("").parts))
        if here is None or here in TOP:
            continue
        found += [f"{path.relative_to(root)} imports {module}" for module in imports(path, root)
                  if (there := room(module)) and there != here and there not in BELOW[here]]
    return found


def test_every_room_imports_only_the_rooms_below_it():
    assert upward_imports(ROOT) == []


def test_the_domain_imports_no_door_and_no_transport():
    leaks = [f"{path.relative_to(ROOT)} imports {module}"
             for path in sorted((ROOT / "plugin").rglob("*.py"))
             for module in imports(path) if module.split(".")[0] in NOT_IN_DOMAIN]
    assert leaks == []


def test_every_room_is_named_in_the_rules_above():
    rooms = {p.name for p in (ROOT / "cds_hooks").iterdir()
             if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in (ROOT / "cds_hooks").glob("*.py")} - {"__init__"}
    assert rooms | modules <= set(BELOW) | TOP
    assert len(modules) + 1 <= 8  # at most 8 modules directly in cds_hooks/, __init__ included


def test_an_upward_import_is_found_relative_or_inside_a_function(tmp_path):
    store = tmp_path / "cds_hooks" / "store"
    store.mkdir(parents=True)
    (store / "db.py").write_text("from ..service.auth import Verifier\n"
                                 "def f():\n    from cds_hooks.report import summary\n")
    assert upward_imports(tmp_path) == [
        "cds_hooks/store/db.py imports cds_hooks.service.auth",
        "cds_hooks/store/db.py imports cds_hooks.report"]
