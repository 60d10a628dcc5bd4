"""The werkmatch command line, run in-process on a temporary data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main
from matching.config import get_settings


@pytest.fixture
def home(tmp_path: Path, model_dir: Path, monkeypatch) -> Path:
    monkeypatch.setenv("WERKMATCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WERKMATCH_MODEL_DIR", str(model_dir))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def test_demo_ingest_and_shortlist(home: Path, tmp_path: Path, capsys):
    assert main(["demo", "--jobseekers", "60", "--vacancies", "10", "--seed", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[0])
    assert summary["jobseekers"] == 60 and summary["vacancies"] == 10 and summary["outcomes"] > 0
    keys = dict(line.split("\t") for line in lines[1:])
    assert set(keys) == {"matchmaker", "accountmanager", "werkcoach", "datascientist", "admin"}
    assert all(k.startswith("wm_") for k in keys.values())
    assert main(["keys", "create", "werkcoach"]) == 0
    assert capsys.readouterr().out.strip().startswith("wm_")  # only the key, on stdout
    assert main(["keys", "create", "koning"]) == 2
    assert (home / "demo" / "truth_jobseekers.parquet").exists()

    csv = tmp_path / "more.csv"
    csv.write_text(
        "id,desired_occupation,education,postcode,hours_per_week,licences\n"
        "WZ-X1,kok,mbo2,3011,32,B\n"
        "WZ-X2,kok,doctoraal,3011,32,\n"
        "WZ-X3,kok,mbo2,3011,99,B\n"
    )
    assert main(["ingest", "jobseekers", str(csv)]) == 1
    out, err = capsys.readouterr()
    assert "1 of 3 rows stored, 2 rejected" in out
    assert "row 2: education:" in err and "row 3: hours_per_week:" in err

    assert main(["shortlist", "VAC-000001", "--k", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Shortlist for VAC-000001")
    assert main(["shortlist", "VAC-000001", "--k", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["query_id"] == "VAC-000001"
    assert main(["shortlist", "VAC-NOPE"]) == 2


def test_setup_loads_demo_only_into_an_empty_store(home: Path, capsys, monkeypatch):
    monkeypatch.setenv("WERKMATCH_STATIC_FIRST_RUN", "false")  # tests/training/test_bootstrap
    get_settings.cache_clear()
    assert main(["setup", "--jobseekers", "30", "--vacancies", "5"]) == 0
    first = capsys.readouterr().out
    assert '"demo"' in first
    assert main(["setup"]) == 0
    assert '"demo"' not in capsys.readouterr().out  # reused, nothing regenerated


def test_serve_with_setup_serves_the_matcher_it_set_up(home: Path, capsys, monkeypatch):
    """`make run`: one process sets up, then serves (nothing imported or loaded twice)."""
    import uvicorn
    from fastapi.testclient import TestClient

    import api.cli.data
    from matching.records import Kind

    monkeypatch.setenv("WERKMATCH_STATIC_FIRST_RUN", "false")
    get_settings.cache_clear()
    set_up, served = [], {}
    real = api.cli.data.set_up_and_report
    monkeypatch.setattr(
        api.cli.data, "set_up_and_report", lambda m, a: set_up.append(m) or real(m, a)
    )
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    argv = ["serve", "--setup", "--jobseekers", "30", "--vacancies", "5", "--port", "8123"]
    assert main(argv) == 0
    assert '"demo"' in capsys.readouterr().out and served["port"] == 8123
    with TestClient(served["app"]) as client:
        assert client.app.state.matcher is set_up[0]
        assert client.app.state.matcher.store.count(Kind.JOBSEEKERS) == 30
        assert client.get("/health").status_code == 200


def test_cli_shortlist_serves_the_champion_and_is_audited(
    ranked_home: tuple[Path, dict], home: Path, capsys
):
    import shutil

    from matching.service import Matcher

    shutil.copytree(ranked_home[0], home)
    assert main(["shortlist", "VAC-000001", "--k", "3", "--json", "--purpose", "werkgever X"]) == 0
    shown = json.loads(capsys.readouterr().out)
    matcher = Matcher(get_settings())
    champion = matcher.reload_ranker()
    assert champion is not None and shown["ranker"] == f"{champion.model.kind} v{champion.version}"
    (entry,) = matcher.store.ledger.audit_rows(limit=1)
    assert entry["endpoint"] == "werkmatch shortlist" and entry["purpose"] == "werkgever X"
    assert entry["jobseeker_ids"] == [item["id"] for item in shown["data"]]
    assert entry["key_id"].startswith("cli:")


def test_cli_risk_commands_train_explain_override_and_count(world_home: Path, home: Path, capsys):
    import shutil

    from matching.service import Matcher

    shutil.copytree(world_home, home)
    assert main(["train-risk"]) == 0
    assert json.loads(capsys.readouterr().out)["promoted"]
    assert main(["risk", "WZ-0000001", "--purpose", "intake"]) == 0
    shown = capsys.readouterr().out
    assert "risico" in shown and "segment" in shown and "het risico" in shown
    reason = "eerst schuldhulp"
    assert main(["segment", "WZ-0000001", "intensief", "--reason", reason]) == 0
    capsys.readouterr()
    assert main(["risk", "WZ-0000001"]) == 0
    assert f"segment intensief (werkcoach: {reason})" in capsys.readouterr().out
    audit = Matcher(get_settings()).store.ledger.audit_rows(limit=3, jobseeker_id="WZ-0000001")
    assert [e["endpoint"] for e in audit] == [
        "werkmatch risk",
        "werkmatch segment",
        "werkmatch risk",
    ]
    assert audit[1]["purpose"] == f"segment intensief: {reason}"
    assert main(["indicators", "--json"]) == 0
    tables = json.loads(capsys.readouterr().out)
    assert set(tables) == {"arbeidsuitstroom", "time_to_fill", "candidates", "target_groups"}
    assert (home / "reports" / "indicators" / "arbeidsuitstroom.png").exists()
    assert main(["indicators", "--period", "maart"]) == 2  # a clear error, no traceback
