"""The renovation programme panel (:mod:`.panel`), its funding inputs (:mod:`.inputs`) and the
numbers the plan leaves to the user (:mod:`.numbers`)."""

from app.panels.programme.panel import FundingChart, ProgrammePanel, totals_text

__all__ = ["FundingChart", "ProgrammePanel", "totals_text"]
