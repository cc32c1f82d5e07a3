"""The docs say what the code does: every `moldx-cds` command in docs/ and the README parses
with the command's own parser, every MOLDX_CDS_ variable they name is one the code reads, and
the example session, run again, prints the cards docs/example-session.md shows."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from cds_hooks.cli.main import _parser

from .processes import ROOT, command_env, free_port

DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
_BLOCK = re.compile(r"```(sh|console|bash)\n(.*?)```", re.S)
_COMMAND = re.compile(r"(?:^|[\s(])(?:\S*/)?moldx-cds (.*)")
_PLACEHOLDERS = {"--port": "8080"}  # options whose value must parse as a number


def _commands(text: str) -> list[str]:
    """The moldx-cds command lines of the shell blocks (in console blocks, the `$ ` lines)."""
    found = []
    for kind, block in _BLOCK.findall(text):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.strip()
            if kind == "console":
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            if match := _COMMAND.search(line):
                found.append(match.group(1))
    return found


def _arguments(command: str) -> list[str]:
    """The command's arguments up to the end of the command (a pipe, `&`, `;` or `)`), with
    shell variables replaced by values of the right kind."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    arguments: list[str] = []
    for token in lexer:
        if token and set(token) <= set("|&;()"):
            break
        if token.startswith("$"):
            token = _PLACEHOLDERS.get(arguments[-1] if arguments else "", "x")
        arguments.append(token)
    return arguments


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_command_in_the_docs_parses(doc, capsys):
    commands = _commands(doc.read_text())
    for command in commands:
        try:
            _parser().parse_args(_arguments(command))
        except SystemExit:
            pytest.fail(f"{doc.name}: `moldx-cds {command}` does not parse: "
                        f"{capsys.readouterr().err}")


def test_the_docs_show_the_client_commands():
    shown = {(_arguments(c) or [""])[0] for doc in DOCS for c in _commands(doc.read_text())}
    assert {"serve", "token", "keys", "call"} <= shown


def test_every_setting_the_docs_name_is_read_by_the_code():
    code = "\n".join(p.read_text() for p in (ROOT / "cds_hooks").rglob("*.py"))
    named = {name for doc in DOCS for name in re.findall(r"MOLDX_CDS_[A-Z_]*[A-Z]",
                                                          doc.read_text())}
    unknown = [name for name in sorted(named)
               if name not in code and f'"{name.removeprefix("MOLDX_CDS_")}"' not in code]
    assert not unknown


def _cards(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines()
            if re.match(r"\s+\[(info|warning|critical)\] ", line)}


def test_the_example_session_still_prints_what_the_doc_shows(live_fhir_server):
    # live_fhir_server only for its rule: node and the FHIR server's packages must be there
    # (or the test is skipped, except in CI); the script starts its own servers.
    env = command_env(FHIR_PORT=str(free_port()), CDS_PORT=str(free_port()),
                      PATH=f"{Path(sys.executable).parent}:{command_env()['PATH']}")
    run = subprocess.run(["bash", str(ROOT / "docs" / "example-session.sh")], env=env,
                         capture_output=True, text=True, timeout=180)

    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    recorded = (ROOT / "docs" / "example-session.md").read_text()
    assert _cards(run.stdout) == _cards(recorded) != set()
    written = re.compile(r"updated (ServiceRequest/\S+) \(version")
    assert written.findall(run.stdout) == written.findall(recorded)


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_the_command_table_is_one_table_with_a_row_for_every_command():
    lines = (ROOT / "docs" / "commands.md").read_text().splitlines()
    rows = [i for i, line in enumerate(lines) if line.startswith("|")]
    assert rows == list(range(rows[0], rows[-1] + 1)), "a blank line splits the table"
    listed = {name for i in rows for name in re.findall(r"`moldx-cds (\w+)", lines[i])}
    commands = set(_parser()._subparsers._group_actions[0].choices)
    assert commands - listed == set()


def test_the_walkthrough_keeps_the_demo_out_of_a_real_store():
    """The demo's calls go to a throwaway data folder, named before `serve` starts and again
    for the terminal that calls it (its fixtures share hookInstance and patient ids)."""
    readme = (ROOT / "README.md").read_text()
    setup = _BLOCK.findall(_section(readme, "Set up"))[0][1]
    [folder] = re.findall(r"^export XDG_DATA_HOME=(/tmp/\S+)", setup, re.M)
    assert setup.index("XDG_DATA_HOME") < setup.index("moldx-cds serve")
    assert f"export XDG_DATA_HOME={folder}" in _section(readme, "Two-minute walkthrough")


_LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")


def _anchors(text: str) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    return {re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
            for title in re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", text, flags=re.S),
                                    re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_leads_to_a_file_and_heading_that_exist(doc):
    """The reference moved out of the README: every link between the docs still lands."""
    broken = []
    for target in _LINK.findall(doc.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists() or (anchor and file.suffix == ".md"
                                 and anchor not in _anchors(file.read_text())):
            broken.append(target)
    assert broken == []


def test_the_readme_keeps_what_a_newcomer_needs_and_points_to_the_rest():
    readme = (ROOT / "README.md").read_text()
    titles = re.findall(r"^## (.+)$", readme, re.M)
    assert titles == ["Set up", "Two-minute walkthrough", "Documentation", "Licensing"]
    listed = set(re.findall(r"\(docs/([\w-]+\.md)\)", _section(readme, "Documentation")))
    assert {p.name for p in (ROOT / "docs").glob("*.md")} - listed == set()


def _modules() -> list[str]:
    """Every module of the service, but the rules (docs/rules.md lists them) and the
    migrations' revisions."""
    return sorted(str(p.relative_to(ROOT)) for folder in ("plugin", "cds_hooks")
                  for p in (ROOT / folder).rglob("*.py")
                  if p.name != "__init__.py" and "rules" not in p.parts
                  and "versions" not in p.parts and "__pycache__" not in p.parts)


def test_how_it_is_built_names_every_module_in_its_folders_paragraph():
    design = (ROOT / "docs" / "design.md").read_text()
    paragraphs = {m.group(1): m.group(0) for m in re.finditer(
        r"^- (?:Directly in )?`([\w/]+/)`.*?(?=^- |^\S|\Z)", design, re.M | re.S)}
    unnamed = []
    for module in _modules():
        folder = max((f for f in paragraphs if module.startswith(f)), key=len, default=None)
        name = module.rsplit("/", 1)[1]
        if folder is None or f"`{name}`" not in paragraphs[folder]:
            unnamed.append(module)
    assert unnamed == []
