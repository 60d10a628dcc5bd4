"""The house's layering, read from the source by AST: packages import only downwards
(api -> training -> eval -> demo -> matching -> models), so nothing imports api and no
package cycle can form; modules stay under 400 lines and classes under 250."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("api", "training", "eval", "demo", "matching", "models")  # each imports only later ones
MAX_MODULE_LINES, MAX_CLASS_LINES = 400, 250


def _modules() -> list[Path]:
    return sorted(p for pkg in LAYERS for p in (REPO / pkg).rglob("*.py"))


def _imported_packages(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


def import_violations(files: list[Path], root: Path) -> list[str]:
    """'file: a -> b' for every import of a package at the same or a higher layer."""
    out = []
    for path in files:
        own = path.relative_to(root).parts[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for other in sorted(_imported_packages(tree) - {own}):
            if LAYERS.index(other) < LAYERS.index(own):
                out.append(f"{path.relative_to(root)}: {own} -> {other}")
    return out


def test_packages_import_only_downwards():
    assert import_violations(_modules(), REPO) == []


def test_the_check_finds_an_upward_import(tmp_path: Path):
    bad = tmp_path / "matching" / "bad.py"
    bad.parent.mkdir()
    bad.write_text("from training.train_ranker import train\nimport api.app\nimport models\n")
    found = import_violations([bad], tmp_path)
    assert found == ["matching/bad.py: matching -> api", "matching/bad.py: matching -> training"]


def test_module_and_class_sizes():
    too_big = []
    for path in _modules():
        source = path.read_text(encoding="utf-8")
        if source.count("\n") + 1 > MAX_MODULE_LINES:
            too_big.append(str(path.relative_to(REPO)))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno >= MAX_CLASS_LINES:
                too_big.append(f"{path.relative_to(REPO)}:{node.name}")
    assert too_big == []
