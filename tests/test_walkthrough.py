"""The README's two-minute walkthrough, run as a newcomer runs it: its shell blocks, in order,
against `moldx-cds serve` on the demo settings with the walkthrough's throwaway data folder;
the feedback step answers 200 twice and the report then shows one card accepted and one
overridden, with the reason given."""

from __future__ import annotations

import re
import subprocess

from cds_hooks.report.names import rule_name

from .processes import CONSOLE_SCRIPT, ROOT, command_env, running_service


def _walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n## Two-minute walkthrough\n")
    section = readme[start:readme.index("\n## ", start + 1)]
    return "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))


def test_the_walkthrough_runs_and_its_report_shows_the_feedback(tmp_path):
    env = command_env(XDG_DATA_HOME=str(tmp_path / "data"))
    with running_service(tmp_path, env, workers=1) as service:
        port = service.base.rsplit(":", 1)[1]
        script = (_walkthrough().replace("8080", port)
                  .replace(".venv/bin/moldx-cds", str(CONSOLE_SCRIPT)))
        run = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=180)
    out = run.stdout
    assert re.findall(r"^\d{3}$", out, re.M) == ["200", "200"], out[-3000:] + run.stderr
    report = out[out.index("Hook calls: "):]
    assert _acted_on(report, "missing-zcode") == ["1", "0"], report  # accepted, overridden
    assert _acted_on(report, "single-gene-in-panel") == ["0", "1"], report


def _acted_on(report: str, rule: str) -> list[str]:
    """The ACCEPTED and OVERRIDDEN cells of the rule's row (its name in words, then FINDINGS,
    ORDERS, ACCEPTED, OVERRIDDEN)."""
    name = rule_name(rule)
    [row] = [line for line in report.splitlines() if line.startswith(name + " ")]
    return row[len(name):].split()[2:4]
