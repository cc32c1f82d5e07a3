"""`moldx-cds policy import` and the service loading what it stored."""

from __future__ import annotations

import json

import pytest

from cds_hooks.cli.main import main
from cds_hooks.common.settings import Settings, default_policy_store
from plugin.knowledge import load_knowledge
from tests.conftest import FIXTURES
from tests.mcd_packs import DEMO_PACK, add_version, copy_pack, nested_zip, read, write


def test_import_of_the_zip_cms_ships(tmp_path, capsys):
    store = tmp_path / "policy.sqlite"
    code = main(["policy", "import", str(nested_zip(DEMO_PACK, tmp_path / "current.zip")),
                 "--store", str(store), "--progress"])
    err = capsys.readouterr().err
    assert code == 0
    _, covered = read(DEMO_PACK, "article_x_icd10_covered.csv")
    assert f"{len(covered)} covered" in err and str(store) in err
    assert "import: 100%" in err  # the progress bar, on stderr


def test_bad_input_is_named_with_file_line_and_column(tmp_path, capsys):
    pack = copy_pack(tmp_path / "pack")
    header, rows = read(pack, "article_x_icd10_covered.csv")
    rows[4]["icd10_covered_group"] = "one"
    write(pack, "article_x_icd10_covered.csv", header, rows)
    code = main(["policy", "import", str(pack), "--store", str(tmp_path / "p.sqlite")])
    assert code == 2
    assert ("pack/article_x_icd10_covered.csv, line 6, column icd10_covered_group: 'one' is "
            "not a whole number") in capsys.readouterr().err


def test_help_names_the_layouts_it_reads(capsys):
    with pytest.raises(SystemExit):
        main(["policy", "import", "--help"])
    assert "current_article.zip" in capsys.readouterr().out


def test_the_service_loads_the_store_it_was_given(tmp_path, capsys):
    pack = copy_pack(tmp_path / "pack")
    add_version(pack, "57901", "25", "2026-01-01", "2025-12-31", add_covered=("R91.8",))
    store = tmp_path / "policy.sqlite"
    assert main(["policy", "import", str(pack), "--store", str(store)]) == 0
    knowledge = load_knowledge(policy_store=store)
    assert [v.version for v in knowledge.policy.versions["A57901"]] == [24, 25]
    request = FIXTURES / "hooks" / "diagnosis-not-covered.json"  # R91.8, covered by v25 only
    assert main(["check", str(request), "--policy-store", str(store), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert findings == []


def test_the_default_store_is_shared_by_import_and_serve(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("MOLDX_CDS_POLICY_STORE", raising=False)
    assert Settings.from_env().policy_store is None  # nothing imported: the embedded pack
    assert main(["policy", "import", str(DEMO_PACK)]) == 0
    assert default_policy_store().is_file()
    assert Settings.from_env().policy_store == default_policy_store()


def test_a_missing_store_that_was_asked_for_is_an_error(tmp_path, capsys):
    request = FIXTURES / "hooks" / "all-correct.json"
    code = main(["check", str(request), "--policy-store", str(tmp_path / "none.sqlite")])
    assert code == 2
    assert "no policy store there (run `moldx-cds policy import`)" in capsys.readouterr().err
