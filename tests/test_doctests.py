"""Every docstring example in layers/ and styles/ runs and is true; none is skipped.

The examples build their own tiny inputs (a few boxes, a small GeoDataFrame with an
explicit CRS, or :func:`layers.demo.example_project`), so they need no files and
no Qt. app/ is left out: it needs a display (hence no ``--doctest-modules``).
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
import re
from functools import cache
from pathlib import Path

import pytest

import layers
import styles

PACKAGES = (layers, styles)
#: the examples there were when the skips were removed (issue 14); more are welcome
MIN_EXAMPLES = 46
SKIP = re.compile(r"\+SKIP\b")


def module_names() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package.__name__)
        names += [m.name for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
    return sorted(names)


def source_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in Path(package.__path__[0]).rglob("*.py"))


@cache
def run_examples(name: str) -> tuple[int, int, str]:
    """(failed, attempted, report) of one module's docstring examples."""
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(verbose=False)
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
        runner.run(test, out=out.write)
    return runner.failures, runner.tries, out.getvalue()


@pytest.mark.parametrize("name", module_names())
def test_docstring_examples_pass(name):
    failed, _attempted, report = run_examples(name)
    assert failed == 0, report


def test_every_example_counts():
    attempted = sum(run_examples(name)[1] for name in module_names())
    assert attempted >= MIN_EXAMPLES


def _skips() -> list[str]:
    root = Path(layers.__file__).resolve().parents[1]
    found = []
    for path in source_files():
        rel = path.relative_to(root).as_posix()
        found += [f"{rel}:{n}" for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
                  if SKIP.search(line)]
    return found


def test_no_example_is_skipped():
    assert _skips() == []
