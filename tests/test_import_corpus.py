"""Every bad input gives a clear bilingual message or a repair in the report — never a traceback,
never a wait without end (each case finishes in well under :data:`SECONDS`) — and a refused
import leaves the project exactly as it was."""

from __future__ import annotations

import time
import warnings

import pytest
from bad_inputs import make_corpus

from layers.errors import ProjectError
from layers.importing import import_layer


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return {case.name: case for case in make_corpus(tmp_path_factory.mktemp("bad_inputs"))}


def _names():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        return [case.name for case in make_corpus(Path(tmp))]


NAMES = _names()
SECONDS = 20.0  # a generous bound: every case takes a few seconds at most; a hang never ends


def test_corpus_is_big_enough():
    assert len(NAMES) >= 60 and len(set(NAMES)) == len(NAMES)


def state(project):
    return ([(layer.name, layer.kind, len(layer)) for layer in project], len(project.undo),
            project.undo.can_redo)


@pytest.mark.timeout(120)  # a hang fails here instead of stalling the run
@pytest.mark.parametrize("name", NAMES)
def test_bad_input_refused_clearly_or_repaired(project, corpus, name):
    case = corpus[name]
    before = state(project)
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            report = import_layer(project, case.path, case.kind, coords=case.coords)
        except ProjectError as exc:
            assert time.monotonic() - started < SECONDS, f"{name}: refused only after {SECONDS} s"
            assert case.expect in ("refuse", "either"), f"{name}: refused: {exc}"
            for text in (exc.what, exc.fix):
                assert text is not None and text.en.strip() and text.zh.strip(), name
                assert any("\u4e00" <= ch <= "\u9fff" for ch in text.zh), name
            assert exc.where, name
            for lang in ("en", "zh"):
                assert "\n" not in exc.message(lang) and "Traceback" not in exc.message(lang), name
            assert state(project) == before, name
            return
    assert time.monotonic() - started < SECONDS, f"{name}: imported only after {SECONDS} s"
    assert case.expect in ("repair", "either"), f"{name}: imported although it should be refused"
    said = report.repairs or report.notes or report.suggestions
    assert said, f"{name}: imported without saying what was changed"
    assert all(r.detail.en and r.detail.zh for r in report.repairs)
    assert report.imported_count == len(project.layer(report.layer_name))
    project.undo.undo()
    assert state(project)[:1] == before[:1], name
