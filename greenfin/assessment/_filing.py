"""The Excel workbook a finance office files: bilingual two-row headers, one sheet per statement."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from greenfin._typing import PathLikeStr
from greenfin._validation import write_atomically

__all__ = ["FilingSheet", "write_filing_workbook"]


class FilingSheet:
    """One statement of the filing workbook.

    Parameters
    ----------
    name : str
        Sheet name (at most 31 characters).
    title_zh, title_en : str
        Statement title in Chinese and English.
    frame : polars.DataFrame
        The data.
    headers : mapping of str to tuple of (str, str)
        Chinese and English header per column (columns not named keep their name in both rows).
    notes : sequence of str
        Lines printed under the table (说明 Notes).
    """

    def __init__(
        self,
        name: str,
        title_zh: str,
        title_en: str,
        frame: pl.DataFrame,
        headers: Mapping[str, tuple[str, str]],
        notes: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.title_zh = title_zh
        self.title_en = title_en
        self.frame = frame
        self.headers = dict(headers)
        self.notes = tuple(notes)


def write_filing_workbook(
    path: PathLikeStr, sheets: Sequence[FilingSheet], *, filer: str, period: str, unit_note: str
) -> Path:
    """Write the filing workbook atomically (nothing is left half written on failure).

    Parameters
    ----------
    path : str or path-like
        Destination ``.xlsx``.
    sheets : sequence of FilingSheet
        Statements, in order.
    filer : str
        Filing unit (填报单位).
    period : str
        Reporting period (报告期), e.g. ``2025Q2``.
    unit_note : str
        Units line, e.g. ``"金额单位：元 Amounts in yuan; 分 points"``.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="E8F1EA")
    for spec in sheets:
        ws = book.create_sheet(spec.name[:31])
        ncol = max(len(spec.frame.columns), 1)
        ws.append([f"{spec.title_zh}  {spec.title_en}"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
        ws["A1"].font = Font(bold=True, size=14)
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.append([f"填报单位 Filing unit: {filer}", "", f"报告期 Period: {period}", "", unit_note])
        zh = [spec.headers.get(c, (c, c))[0] for c in spec.frame.columns]
        en = [spec.headers.get(c, (c, c))[1] for c in spec.frame.columns]
        ws.append(zh)
        ws.append(en)
        for row_idx in (3, 4):
            for cell in ws[row_idx]:
                cell.font = Font(bold=True)
                cell.fill = fill
                cell.border = border
                cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in spec.frame.iter_rows():
            ws.append([v if not isinstance(v, float) or v == v else None for v in row])
            for cell in ws[ws.max_row]:
                cell.border = border
        ws.append([])
        if spec.notes:
            ws.append(["说明 Notes"])
            ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
            for note in spec.notes:
                ws.append([note])
        ws.append([])
        ws.append(["制表人 Prepared by:", "", "审核人 Checked by:", "", "负责人 Approved by:"])
        ws.freeze_panes = "A5"
        for i, col in enumerate(spec.frame.columns, start=1):
            width = max(len(str(zh[i - 1])) * 2, len(str(en[i - 1])), 10)
            ws.column_dimensions[get_column_letter(i)].width = min(width + 2, 42)
            if spec.frame.schema[col] == pl.Float64:
                for r in range(5, 5 + spec.frame.height):
                    ws.cell(row=r, column=i).number_format = "#,##0.00"
    buf = io.BytesIO()
    book.save(buf)
    dest = Path(path)
    write_atomically(dest, buf.getvalue())
    return dest
