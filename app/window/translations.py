"""Qt's own words in the person's language: the standard buttons (OK, Cancel, Show Details…),
file dialogs and context menus come from Qt's translations, shipped with PyQt5."""

from __future__ import annotations

from PyQt5.QtCore import QLibraryInfo, QLocale, QTranslator
from PyQt5.QtWidgets import QApplication

QT_LOCALES = {"zh": "zh_CN"}
_installed: list[QTranslator] = []


def install_qt_translations(app: QApplication, lang: str) -> bool:
    """Load Qt's translation for ``lang`` ('zh' or 'en'); True when one was installed."""
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    locale = QT_LOCALES.get(lang)
    if locale is None:
        return False
    folder = QLibraryInfo.location(QLibraryInfo.TranslationsPath)
    translator = QTranslator(app)
    if not translator.load(QLocale(locale), "qtbase", "_", folder):
        return False
    app.installTranslator(translator)
    _installed.append(translator)
    return True
