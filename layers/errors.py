"""Errors a person can cause and fix, told in both languages.

Every :class:`ProjectError` says *what* went wrong, *where* (file, layer,
feature, field …) and *how to fix it*. The GUI shows it in a dialog, the CLI
prints it on one line and exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from layers.i18n import current_language


@dataclass(frozen=True)
class T:
    """A text in English and Simplified Chinese; ``str()`` gives the current language."""

    en: str
    zh: str

    def __call__(self, lang: str | None = None) -> str:
        return self.zh if (lang or current_language()) == "zh" else self.en

    def __str__(self) -> str:
        return self()

    def format(self, **values: object) -> T:
        return T(self.en.format(**values), self.zh.format(**values))


_WHERE = T("where", "位置")
_FIX = T("how to fix", "解决办法")


class ProjectError(Exception):
    """A user-facing error: what happened, where, and how to fix it."""

    def __init__(self, what: T, where: str = "", fix: T | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        parts = [self.what(lang)]
        if self.where:
            parts.append(f"{_WHERE(lang)}: {self.where}")
        if self.fix is not None:
            parts.append(f"{_FIX(lang)}: {self.fix(lang)}")
        sep = "；" if (lang or current_language()) == "zh" else "; "
        return sep.join(parts)

    def __str__(self) -> str:
        return self.message()


class ProjectFileError(ProjectError):
    """A project file that cannot be opened or saved."""


class ProjectChangedOnDisk(ProjectFileError):
    """Saving would overwrite changes another program (or window) saved to the same file
    since this project was opened or last saved. The caller may reload, overwrite
    (``save_project(..., overwrite=True)``) or save under another name."""

    def __init__(self, what: T | None = None, where: str = "", fix: T | None = None) -> None:
        super().__init__(
            what or T("the project file was changed by another program since it was opened",
                      "项目文件在打开后已被其他程序修改"),
            where,
            fix or T("reload it, overwrite it, or save under another name (Save As)",
                     "请重新载入、覆盖保存，或另存为其他文件"))


class StandardsError(ProjectError):
    """A standards table or a per-project override that is not usable."""


class EditError(ProjectError):
    """An edit that cannot be applied (unknown feature, layer not editable …)."""


@dataclass(frozen=True)
class ValidationIssue:
    """One schema problem: which layer, which feature, which field, what is wrong."""

    layer: str
    fid: int | None
    field: str | None
    problem: T

    def where(self) -> str:
        bits = [f"layer '{self.layer}'"]
        if self.fid is not None:
            bits.append(f"feature {self.fid}")
        if self.field is not None:
            bits.append(f"field '{self.field}'")
        return ", ".join(bits)

    def message(self, lang: str | None = None) -> str:
        return f"{self.where()}: {self.problem(lang)}"


class ValidationError(ProjectError):
    """Data that breaks its layer's schema; carries every issue found."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        self.issues = list(issues)
        first = self.issues[0] if self.issues else None
        more = len(self.issues) - 1
        what = T(
            f"{len(self.issues)} value(s) break the layer schema",
            f"有 {len(self.issues)} 处数据不符合图层字段规范",
        )
        where = first.where() if first else ""
        if more > 0:
            where += f" (+{more} more)"
        super().__init__(
            what,
            where,
            T(
                "correct the listed values in the attribute table or the source file",
                "请在属性表或源文件中改正所列的值",
            ),
        )

    def message(self, lang: str | None = None) -> str:
        text = super().message(lang)
        if self.issues:
            text += " — " + self.issues[0].problem(lang)
        return text
