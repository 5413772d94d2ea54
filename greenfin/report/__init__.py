"""Reports: bilingual HTML with plots, an Excel workbook and CSV/Parquet tables; the demo runner."""

from greenfin.report._model import Figure, KeyFigure, Report, Section, Table, figure_png
from greenfin.report._writer import write_report

__all__ = ["Figure", "KeyFigure", "Report", "Section", "Table", "figure_png", "write_report"]
