"""Backup and restore: a restored data directory gives the same shortlist, with the same
champion ranker, even after the original directory is gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from api.cli import main
from matching.backup import BackupError, backup, restore
from matching.config import Settings, get_settings
from matching.records import Kind
from matching.service import Matcher
from models.embedder import Embedder


def _open(home: Path, model_dir: Path, embedder: Embedder) -> Matcher:
    m = Matcher(Settings(home=home, model_dir=model_dir), embedder=embedder)
    m.prepare(progress=False)
    return m


def _ranked(m: Matcher) -> list[tuple[str, float]]:
    vid = m.store.ids(Kind.VACANCIES)[0]
    return [(item.id, round(item.score, 9)) for item in m.shortlist(vid, k=10).items]


def test_restore_into_a_fresh_directory_gives_the_same_shortlist(
    ranked_home: tuple[Path, dict], tmp_path: Path, model_dir: Path, embedder: Embedder
):
    first = tmp_path / "first"
    restore(_backup_of(ranked_home[0], tmp_path / "b0", model_dir), _settings(first, model_dir))
    m = _open(first, model_dir, embedder)
    assert m.ranker is not None  # the champion came along, loaded from the restored registry
    before, ranker = _ranked(m), m.ranker.version
    m.store.ledger.write_audit("k", "matchmaker", "GET /x", ["WZ-0000001"], "test")
    manifest = backup(m.settings, m.store, tmp_path / "b1")
    assert manifest.records == {"jobseekers": 300, "vacancies": 80}
    shutil.rmtree(first)  # nothing of the restored copy may point back here
    second = tmp_path / "second"
    restore(tmp_path / "b1", _settings(second, model_dir))
    again = _open(second, model_dir, embedder)
    assert _ranked(again) == before and again.ranker.version == ranker
    assert again.store.ledger.audit_rows(jobseeker_id="WZ-0000001")[0]["purpose"] == "test"


def test_a_damaged_or_misplaced_backup_is_refused(
    world_home: Path, tmp_path: Path, model_dir: Path
):
    folder = _backup_of(world_home, tmp_path / "b", model_dir)
    with pytest.raises(BackupError, match="not empty"):
        backup(_settings(world_home, model_dir), store_of(world_home, model_dir), folder)
    restore(folder, _settings(tmp_path / "r1", model_dir))
    with pytest.raises(BackupError, match="exists"):
        restore(folder, _settings(tmp_path / "r1", model_dir))
    (folder / "werkmatch.db").write_bytes(b"garbage")
    with pytest.raises(BackupError, match="damaged"):
        restore(folder, _settings(tmp_path / "r2", model_dir))
    with pytest.raises(BackupError, match="manifest"):
        restore(tmp_path / "nothing-here", _settings(tmp_path / "r3", model_dir))


def test_backup_and_restore_commands(
    world_home: Path, tmp_path: Path, model_dir: Path, monkeypatch, capsys
):
    home = tmp_path / "home"
    shutil.copytree(world_home, home)
    monkeypatch.setenv("WERKMATCH_HOME", str(home))
    monkeypatch.setenv("WERKMATCH_MODEL_DIR", str(model_dir))
    get_settings.cache_clear()
    try:
        assert main(["backup", str(tmp_path / "copy")]) == 0
        assert json.loads(capsys.readouterr().out)["records"]["jobseekers"] == 300
        assert main(["restore", str(tmp_path / "copy")]) == 2  # the directory is not fresh
        monkeypatch.setenv("WERKMATCH_HOME", str(tmp_path / "fresh"))
        get_settings.cache_clear()
        assert main(["restore", str(tmp_path / "copy")]) == 0
        assert (tmp_path / "fresh" / "werkmatch.db").exists()
    finally:
        get_settings.cache_clear()


def _settings(home: Path, model_dir: Path) -> Settings:
    return Settings(home=home, model_dir=model_dir)


def store_of(home: Path, model_dir: Path):
    from matching.store import Store

    return Store(_settings(home, model_dir).db_url)


def _backup_of(home: Path, folder: Path, model_dir: Path) -> Path:
    backup(_settings(home, model_dir), store_of(home, model_dir), folder)
    return folder
