"""Units: explicit conversions only, never silent scale factors.

Areas: 1 mu (亩) = 10000/15 m² ≈ 666.67 m², 15 mu = 1 ha, 1 km² = 100 ha.
Money scales: 元 (yuan), 万元 (10⁴ yuan), 亿元 (10⁸ yuan). Amounts are stored in yuan; 万元 and
亿元 appear only in labels and in these explicit conversions. English "billion yuan" is rejected as
ambiguous, because published GEP papers use it for 亿元 (10⁸) as often as for 10⁹.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from greenfin._typing import FloatArray
from greenfin.errors import DataError, SpecError

__all__ = [
    "AREA_UNITS",
    "M2_PER_MU",
    "MONEY_UNITS",
    "MU_PER_HA",
    "check_magnitude",
    "convert_area",
    "money_label",
    "to_yuan",
    "yuan_to",
]

MU_PER_HA: Final = 15.0
"""Mu (亩) per hectare: a legal definition (1 mu = 1/15 ha)."""

M2_PER_MU: Final = 10_000.0 / 15.0
"""Square metres per mu (≈ 666.67 m²)."""

AREA_UNITS: Final[dict[str, float]] = {
    "m2": 1.0,
    "mu": M2_PER_MU,
    "ha": 10_000.0,
    "km2": 1_000_000.0,
}
"""Square metres per unit of each area unit."""

_AREA_ALIASES: Final[dict[str, str]] = {
    "亩": "mu",
    "公顷": "ha",
    "hm2": "ha",
    "平方米": "m2",
    "平方公里": "km2",
}

MONEY_UNITS: Final[dict[str, float]] = {"yuan": 1.0, "wan_yuan": 1e4, "yi_yuan": 1e8}
"""Yuan per unit of each money scale."""

_MONEY_ALIASES: Final[dict[str, str]] = {
    "元": "yuan",
    "cny": "yuan",
    "万元": "wan_yuan",
    "10k_yuan": "wan_yuan",
    "亿元": "yi_yuan",
    "100m_yuan": "yi_yuan",
}

_MONEY_LABELS: Final[dict[str, str]] = {"yuan": "元", "wan_yuan": "万元", "yi_yuan": "亿元"}


def _canonical(unit: str, table: dict[str, float], aliases: dict[str, str], kind: str) -> str:
    key = unit.strip()
    key = aliases.get(key, aliases.get(key.lower(), key.lower()))
    if key in ("billion", "billion_yuan", "bn"):
        raise SpecError(
            f"The {kind} unit {unit!r} is ambiguous: papers write 'billion yuan' for 亿元 (1e8) and for 1e9. "
            "Use 'yi_yuan' (亿元, 1e8) or convert to yuan first."
        )
    if key not in table:
        raise SpecError(f"Unknown {kind} unit {unit!r}. Use one of {sorted(table)} (or their Chinese names).")
    return key


def convert_area(value: npt.ArrayLike, from_unit: str, to_unit: str) -> FloatArray:
    """Convert areas between m2, mu (亩), ha (公顷) and km2.

    Parameters
    ----------
    value : array_like of float
        Areas in ``from_unit``.
    from_unit, to_unit : str
        One of ``m2``, ``mu``, ``ha``, ``km2`` (or 平方米, 亩, 公顷, 平方公里).

    Returns
    -------
    numpy.ndarray of float64
        Areas in ``to_unit``.

    Raises
    ------
    SpecError
        If a unit is unknown.

    Examples
    --------
    >>> convert_area([15.0, 1.5], "mu", "ha").tolist()
    [1.0, 0.1]
    """
    src = _canonical(from_unit, AREA_UNITS, _AREA_ALIASES, "area")
    dst = _canonical(to_unit, AREA_UNITS, _AREA_ALIASES, "area")
    out: FloatArray = np.asarray(value, dtype=np.float64) * (AREA_UNITS[src] / AREA_UNITS[dst])
    return out


def to_yuan(value: npt.ArrayLike, unit: str) -> FloatArray:
    """Convert money in 元, 万元 or 亿元 to yuan.

    Parameters
    ----------
    value : array_like of float
        Amounts in ``unit``.
    unit : str
        ``yuan`` (元), ``wan_yuan`` (万元) or ``yi_yuan`` (亿元).

    Returns
    -------
    numpy.ndarray of float64
        Amounts in yuan.

    Raises
    ------
    SpecError
        If the unit is unknown or ambiguous ("billion").

    Examples
    --------
    >>> to_yuan([2.5], "万元").tolist()
    [25000.0]
    >>> to_yuan([29040.66], "亿元").tolist()
    [2904066000000.0]
    """
    key = _canonical(unit, MONEY_UNITS, _MONEY_ALIASES, "money")
    out: FloatArray = np.asarray(value, dtype=np.float64) * MONEY_UNITS[key]
    return out


def yuan_to(value_cny: npt.ArrayLike, unit: str) -> FloatArray:
    """Convert yuan to 元, 万元 or 亿元 (for labels and display).

    Parameters
    ----------
    value_cny : array_like of float
        Amounts in yuan.
    unit : str
        Target unit, as in :func:`to_yuan`.

    Returns
    -------
    numpy.ndarray of float64
        Amounts in ``unit``.

    Examples
    --------
    >>> yuan_to([3.2e9], "yi_yuan").tolist()
    [32.0]
    """
    key = _canonical(unit, MONEY_UNITS, _MONEY_ALIASES, "money")
    out: FloatArray = np.asarray(value_cny, dtype=np.float64) / MONEY_UNITS[key]
    return out


def money_label(unit: str) -> str:
    """Bilingual label of a money unit, e.g. ``"亿元 (1e8 CNY)"``.

    Parameters
    ----------
    unit : str
        A money unit accepted by :func:`to_yuan`.

    Returns
    -------
    str
        The label.

    Examples
    --------
    >>> money_label("wan_yuan")
    '万元 (1e4 CNY)'
    """
    key = _canonical(unit, MONEY_UNITS, _MONEY_ALIASES, "money")
    scale = {"yuan": "CNY", "wan_yuan": "1e4 CNY", "yi_yuan": "1e8 CNY"}[key]
    return f"{_MONEY_LABELS[key]} ({scale})"


def check_magnitude(
    values: npt.ArrayLike,
    *,
    low: float,
    high: float,
    what: str,
    unit: str,
    source: str | None = None,
    column: str | None = None,
) -> None:
    """Reject values whose median is outside a plausible range, e.g. 亿元 entered where 元 is expected.

    Only the median is checked, so a few extreme rows do not trip it; values off by 10⁴ or 10⁸
    (万元 or 亿元 typed as 元) always do.

    Parameters
    ----------
    values : array_like of float
        The values to check; NaN is ignored.
    low, high : float
        The plausible range of the median, in ``unit``.
    what : str
        What the values are, for the message.
    unit : str
        The unit the values should be in, for the message.
    source, column : str or None
        Where the values came from, for the message.

    Raises
    ------
    DataError
        If the median is outside ``[low, high]``, naming the likely unit slip.

    Examples
    --------
    >>> check_magnitude([3.5, 4.0], low=100, high=1e5, what="forest price", unit="yuan/mu")
    Traceback (most recent call last):
    ...
    greenfin.errors.DataError: forest price has a median of 3.75 yuan/mu, outside the plausible range ...
    """
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return
    median = float(np.median(arr))
    if low <= median <= high:
        return
    hint = ""
    for name, factor in (("万元 (1e4)", 1e4), ("亿元 (1e8)", 1e8)):
        if low <= median * factor <= high:
            hint = f" The values look like {name} where {unit} is expected: multiply by {factor:g}."
            break
        if low <= median / factor <= high:
            hint = f" The values look {factor:g} times too large: were they entered in a smaller unit?"
            break
    raise DataError(
        f"{what} has a median of {median:.6g} {unit}, outside the plausible range [{low:g}, {high:g}].{hint}"
        " Convert the column to the expected unit.",
        source=source,
        column=column,
    )
