"""The core stays GUI-free: layers/ and styles/ never import Qt or app."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO

LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(cwd), "PATH": str(LINT.parent)}
    return subprocess.run([str(LINT), "--config", str(cwd / "setup.cfg")], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_import_contract_is_kept():
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def test_import_contract_catches_qt_in_core(tmp_path):
    """The same contract fails once a core module imports Qt or app (so it can fail)."""
    _copy_repo(tmp_path)
    (tmp_path / "styles" / "sneaky.py").write_text("from PyQt5 import QtGui\n")
    (tmp_path / "layers" / "sneaky.py").write_text("import app.cli\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "styles.sneaky" in result.stdout and "layers.sneaky" in result.stdout


def _copy_repo(tmp_path: Path) -> None:
    for package in ("layers", "styles", "app"):
        shutil.copytree(REPO / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "setup.cfg", tmp_path / "setup.cfg")


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


# one planted violation per contract: (file to add or extend, the import, who must be named)
PLANTED = {
    "core-is-gui-free": ("styles/planted_qt.py", "from PyQt5 import QtGui", "styles.planted_qt"),
    "cli-is-qt-free": ("app/cli/planted.py", "from PyQt5 import QtWidgets", "app.cli.planted"),
    "panels-are-independent": ("app/panels/topology.py", "import app.panels.coverage",
                               "app.panels.topology"),
    "analyses-depend-downward": ("layers/coverage/planted.py", "import layers.exports.reports",
                                 "layers.coverage.planted"),
    "styles-use-only-the-vocabulary": ("styles/planted_store.py", "import layers.store",
                                       "styles.planted_store"),
    "vocabulary-never-imports-styles": ("layers/kinds.py", "import styles", "layers.kinds"),
}


@pytest.mark.parametrize("contract", sorted(PLANTED))
def test_each_contract_catches_a_planted_violation(tmp_path, contract):
    _copy_repo(tmp_path)
    rel, line, culprit = PLANTED[contract]
    target = tmp_path / rel
    if target.exists():
        _append(target, line)
    else:
        target.write_text(line + "\n", encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0, result.stdout
    assert "Contracts: 5 kept, 1 broken." in " ".join(result.stdout.split()), result.stdout
    assert culprit in result.stdout


def test_every_contract_is_in_the_config():
    text = (REPO / "setup.cfg").read_text(encoding="utf-8")
    for contract in PLANTED:
        assert f"[importlinter:contract:{contract}]" in text


def test_importing_the_core_loads_no_qt():
    code = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import layers, styles
        for pkg in (layers, styles):
            for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
                importlib.import_module(mod.name)
        from layers.demo import build_sample_project
        build_sample_project("small", 1)
        bad = sorted(m for m in sys.modules if m.startswith(("PyQt5", "app")))
        print(bad)
        sys.exit(1 if bad else 0)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_ruff_clean():
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--output-format", "concise", str(REPO)],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
