"""Write a :class:`Report` to a folder: index.html, report.xlsx, tables/*.csv and *.parquet, plots/*.png.

The folder is built in a temporary sibling and renamed into place at the end, so a failure leaves
no half-written report behind.
"""

from __future__ import annotations

import base64
import html
import shutil
import tempfile
from pathlib import Path

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape

from greenfin._typing import PathLikeStr
from greenfin.report._model import Report, Table

__all__ = ["write_report"]


def _format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        magnitude = abs(value)
        if magnitude >= 1e4:
            return f"{value:,.0f}"
        if magnitude >= 1:
            return f"{value:,.2f}"
        return f"{value:.4g}"
    return html.escape(str(value))


def _html_table(table: Table | None, frame: pl.DataFrame, labels: dict[str, str], rows: int) -> str:
    head = "".join(f"<th>{html.escape(labels.get(c, c))}</th>" for c in frame.columns)
    body = []
    for row in frame.head(rows).iter_rows():
        body.append("<tr>" + "".join(f"<td>{_format_cell(v)}</td>" for v in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _excel_safe(frame: pl.DataFrame) -> pl.DataFrame:
    casts = []
    for name, dtype in frame.schema.items():
        if dtype.is_nested() or dtype == pl.Object:
            casts.append(pl.col(name).cast(pl.String))
    return frame.with_columns(casts) if casts else frame


def _write_excel(report: Report, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    summary = book.active
    summary.title = "summary"
    summary.append([report.title_en, report.title_zh])
    summary["A1"].font = Font(bold=True, size=14)
    for key, value in report.meta.items():
        summary.append([key, str(value)])
    summary.append([])
    summary.append(["section 部分", "figure 指标", "value 数值"])
    for section in report.sections:
        for kf in section.key_figures:
            summary.append([f"{section.title_en} {section.title_zh}", f"{kf.label_en} {kf.label_zh}", kf.value])
    summary.column_dimensions["A"].width = 40
    summary.column_dimensions["B"].width = 48
    summary.column_dimensions["C"].width = 24
    header_fill = PatternFill("solid", fgColor="EEF6F0")
    used: set[str] = {"summary"}
    for section in report.sections:
        tables = list(section.tables)
        if section.params is not None:
            tables.append(Table(f"{section.key}_params", "Parameters and sources", "参数及来源", section.params))
        for table in tables:
            title = table.name[:31]
            suffix = 1
            while title in used:
                suffix += 1
                title = f"{table.name[:28]}_{suffix}"
            used.add(title)
            sheet = book.create_sheet(title)
            sheet.append([f"{table.title_en} · {table.title_zh}"])
            sheet["A1"].font = Font(bold=True)
            sheet.append([table.labels.get(c, c) for c in table.frame.columns])
            for cell in sheet[2]:
                cell.font = Font(bold=True)
                cell.fill = header_fill
            for row in _excel_safe(table.frame).iter_rows():
                sheet.append(list(row))
            sheet.freeze_panes = "A3"
            for i, col in enumerate(table.frame.columns, start=1):
                sheet.column_dimensions[get_column_letter(i)].width = min(
                    max(len(table.labels.get(col, col)) + 2, 10), 40
                )
    book.save(path)


def write_report(report: Report, out_dir: PathLikeStr) -> Path:
    """Write ``report`` to ``out_dir`` (replacing an earlier report there) and return the folder.

    Parameters
    ----------
    report : Report
        The report.
    out_dir : str or path-like
        Destination folder.

    Returns
    -------
    pathlib.Path
        The folder, holding ``index.html``, ``report.xlsx``, ``tables/`` (CSV and Parquet) and ``plots/``.
    """
    dest = Path(out_dir).resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        (work / "tables").mkdir()
        (work / "plots").mkdir()
        html_tables: dict[str, str] = {}
        figures: dict[str, str] = {}
        for section in report.sections:
            for table in section.tables:
                table.frame.write_csv(work / "tables" / f"{table.name}.csv")
                table.frame.write_parquet(work / "tables" / f"{table.name}.parquet")
                html_tables[table.name] = _html_table(table, table.frame, table.labels, table.html_rows)
            if section.params is not None:
                section.params.write_csv(work / "tables" / f"{section.key}_params.csv")
                html_tables[f"__params__{section.key}"] = _html_table(None, section.params, {}, 500)
            for fig in section.figures:
                (work / "plots" / f"{section.key}_{fig.name}.png").write_bytes(fig.png)
                figures[f"{section.key}/{fig.name}"] = base64.b64encode(fig.png).decode("ascii")
        env = Environment(loader=PackageLoader("greenfin.report", "templates"), autoescape=select_autoescape())
        page = env.get_template("report.html.j2").render(report=report, tables=html_tables, figures=figures)
        (work / "index.html").write_text(page, encoding="utf-8")
        _write_excel(report, work / "report.xlsx")
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old")
            if old.exists():
                shutil.rmtree(old)
            dest.rename(old)
            work.rename(dest)
            shutil.rmtree(old)
        else:
            work.rename(dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return dest
