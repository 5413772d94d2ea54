"""The report model: sections of bilingual tables, figures, key figures and notes."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import polars as pl

__all__ = ["Figure", "KeyFigure", "Report", "Section", "Table", "figure_png"]


@dataclass(frozen=True)
class Table:
    """A table in a report: written to HTML, Excel (one sheet), CSV and Parquet.

    Parameters
    ----------
    name : str
        File and sheet stem, snake_case (e.g. ``gep_county_account``); unique within a report.
    title_en, title_zh : str
        Bilingual title.
    frame : polars.DataFrame
        The data; column names carry units.
    labels : dict of str to str
        Optional bilingual header per column, e.g. ``{"value_cny": "Value 价值量 (CNY)"}``.
    html_rows : int
        Rows shown in the HTML page (all rows go to the files).
    """

    name: str
    title_en: str
    title_zh: str
    frame: pl.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    html_rows: int = 30


@dataclass(frozen=True)
class Figure:
    """A figure: PNG bytes with a bilingual caption.

    Parameters
    ----------
    name : str
        File stem.
    caption : str
        Bilingual caption.
    png : bytes
        The image.
    """

    name: str
    caption: str
    png: bytes


@dataclass(frozen=True)
class KeyFigure:
    """One headline number of a section.

    Parameters
    ----------
    label_en, label_zh : str
        Bilingual label.
    value : str
        The formatted value with its unit.
    """

    label_en: str
    label_zh: str
    value: str


@dataclass(frozen=True)
class Section:
    """One stage's part of a report.

    Parameters
    ----------
    key : str
        Stage key (``gep``, ``scoring``, ...).
    title_en, title_zh : str
        Bilingual title.
    key_figures : tuple of KeyFigure
        Headline numbers.
    tables : tuple of Table
        Tables.
    figures : tuple of Figure
        Figures.
    notes : tuple of str
        Assumptions and caveats a reader must see (e.g. unverified parameters used).
    params : polars.DataFrame or None
        The sourced parameters the stage used (see :class:`greenfin.provenance.ParamTable`).
    """

    key: str
    title_en: str
    title_zh: str
    key_figures: tuple[KeyFigure, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()
    notes: tuple[str, ...] = ()
    params: pl.DataFrame | None = None


@dataclass(frozen=True)
class Report:
    """A whole report: title and sections, plus run metadata shown on the front page.

    Parameters
    ----------
    title_en, title_zh : str
        Bilingual title.
    sections : tuple of Section
        In order.
    meta : dict
        Run facts (as-of date, seed, version, inputs) shown on the front page.
    """

    title_en: str
    title_zh: str
    sections: tuple[Section, ...]
    meta: dict[str, Any] = field(default_factory=dict)


def figure_png(fig: Any, *, dpi: int = 110) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    dpi : int, default 110
        Resolution.

    Returns
    -------
    bytes
        The PNG image.
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
