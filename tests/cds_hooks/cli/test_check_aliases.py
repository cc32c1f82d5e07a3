"""`moldx-cds check` reads the knowledge folder's aliases.csv, a client's own rows only for
that client (--issuer)."""

from __future__ import annotations

import json

from cds_hooks.cli.main import main
from tests.conftest import FIXTURES

EPIC = str(FIXTURES / "hooks/epic-order-sign.json")


def _named_by(capsys, *args: str) -> tuple[str, str]:
    main(["check", "--json", *args, EPIC])
    [order] = json.loads(capsys.readouterr().out)["orders"]
    return order["test_code"], order["identified_by"]


def test_check_applies_a_clients_own_aliases_only_with_its_issuer(capsys):
    assert _named_by(capsys, "--issuer", "urn:moldx-cds:demo-client") == ("CMD-LUNG50", "alias")
    # for anyone else only the order's CRD billing option (CPT 81445) names it: a likely test
    assert _named_by(capsys) == ("CMD-LUNG50", "billing-option")
    assert _named_by(capsys, "--issuer", "https://another-site.example/ehr") == (
        "CMD-LUNG50", "billing-option")
