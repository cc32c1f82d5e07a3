"""Every reference in the code's comments and the docs leads somewhere a reader of this
repository can go: a public source by its own name, or a file of the repository by its path;
never a founding note, an issue number or a folder outside the repository."""

from __future__ import annotations

import re
import subprocess

from .processes import ROOT

NOWHERE = re.compile(r"\bseeds? 0\d\d|\bissues? \d+\b|\.\./shared|\bshared/(docs|data|seeds)\b|"
                     r"\b(domain-data|billing-rules|spec-digest|perf-profile|sandbox-client|"
                     r"crd-2\.2|tooling)\.md\b", re.I)
PATH = re.compile(r"\b(?:docs|bench|tests|cds_hooks|plugin|fixtures)/[\w./-]*\w\.(?:md|py|sh|csv|"
                  r"json|837|835|mjs)\b")


def _files() -> dict[str, str]:
    names = subprocess.run(["git", "ls-files", "--", "*.py", "*.md", "*.sh", "*.toml",
                            "Dockerfile", ":!tests/fhir_server/node_modules"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return {name: (ROOT / name).read_text() for name in names if (ROOT / name).is_file()
            and name != "tests/test_references.py"}


def test_no_reference_leads_outside_the_repository():
    found = [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group()}"
             for name, text in _files().items() for m in NOWHERE.finditer(text)]
    assert found == []


def test_every_path_named_is_a_file_of_the_repository():
    missing = sorted({f"{name}: {path}" for name, text in _files().items()
                      for path in PATH.findall(text) if not (ROOT / path).exists()})
    assert missing == []
