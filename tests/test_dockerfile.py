"""The Dockerfile, read as an engine would (none runs here or in CI): every setting it sets or
its example passes is one the service reads, the knowledge folder it mounts is the one the
service uses, every path it names exists (in the repository for COPY, made in the image or
mounted by the example for the settings), and its command parses."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import PurePosixPath

from cds_hooks.cli.main import _parser
from cds_hooks.common.settings import PREFIX, SETTINGS

from .processes import ROOT

TEXT = (ROOT / "Dockerfile").read_text()
LINES = [line for line in re.sub(r"\\\n\s*", " ", TEXT).splitlines() if line.strip()]
EXAMPLE = re.sub(r"\\\n#\s*", " ", "\n".join(
    line for line in TEXT.splitlines() if line.startswith("#")))


def _instructions(name: str) -> list[str]:
    return [line[len(name) + 1:] for line in LINES if line.startswith(name + " ")]


def _env() -> dict[str, str]:
    return dict(pair.split("=", 1) for line in _instructions("ENV")
                for pair in shlex.split(line))


def _example_run() -> list[str]:
    [run] = [line.split("#", 1)[1] for line in EXAMPLE.splitlines() if "docker run" in line]
    return shlex.split(run)


def _mounts() -> dict[str, str]:
    """The example's -v HOST:CONTAINER[:ro], by container path."""
    words = _example_run()
    found = [words[i + 1].split(":") for i, w in enumerate(words) if w == "-v"]
    return {parts[1]: parts[0] for parts in found}


def _made_in_image() -> set[PurePosixPath]:
    made = {PurePosixPath(p) for line in _instructions("RUN")
            for p in re.findall(r"(?:mkdir -p|--home-dir) ((?:/[\w./-]+ ?)+)", line)
            for p in p.split()}
    made |= {PurePosixPath(p) for line in _instructions("VOLUME") for p in json.loads(line)}
    return made | {PurePosixPath(p) for p in _mounts()}


def test_every_setting_named_is_one_the_service_reads():
    words = _example_run()
    passed = [words[i + 1].split("=", 1)[0] for i, w in enumerate(words) if w == "-e"]
    named = [k for k in [*_env(), *passed] if k.startswith(PREFIX)]
    assert named and [k for k in named if k.removeprefix(PREFIX) not in SETTINGS] == []


def test_the_service_uses_the_knowledge_folder_it_mounts():
    knowledge = _env().get("MOLDX_CDS_KNOWLEDGE_DIR")
    assert knowledge in _mounts(), "the container would serve the embedded demo lab"


def test_every_path_a_setting_names_is_made_in_the_image_or_mounted():
    words = _example_run()
    settings = {**_env(), **dict(words[i + 1].split("=", 1) for i, w in enumerate(words)
                                 if w == "-e")}
    paths = {k: v.removeprefix("sqlite:///") for k, v in settings.items()
             if v.startswith(("/", "sqlite:////"))}
    made = _made_in_image()
    homeless = {k: p for k, p in paths.items()
                if not any(PurePosixPath(p) == m or m in PurePosixPath(p).parents
                           for m in made)}
    assert paths and homeless == {}


def test_every_file_copied_is_in_the_repository():
    sources = [shlex.split(line)[:-1] for line in _instructions("COPY")]
    assert [s for group in sources for s in group if not (ROOT / s).exists()] == []


def test_the_command_parses():
    [command] = _instructions("CMD")
    program, *arguments = json.loads(command)
    assert program == "moldx-cds"
    assert _parser().parse_args(arguments).command == "serve"
