"""Money: float64 yuan for analytics, int64 fen for ledgers (the only place that rounds).

Ledgers, fee and premium schedules and distribution reports are kept in whole fen (分, 0.01 yuan)
as int64 so that totals reconcile exactly. Rounding is half-up away from zero (四舍五入), not
numpy's half-to-even; a total is split into parts with :func:`allocate_fen`, whose parts always add
up to the total.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from greenfin._typing import FloatArray, IntArray
from greenfin.errors import SpecError

__all__ = ["FEN_PER_YUAN", "allocate_fen", "fen_to_yuan", "round_half_up", "yuan_to_fen"]

FEN_PER_YUAN = 100
"""Fen (分) in one yuan (元); a definition, not a policy parameter."""

_INT64_SAFE_FEN = 2**62  # headroom below int64's 9.22e18 fen so sums of a few parts cannot overflow


def yuan_to_fen(amount_cny: npt.ArrayLike) -> IntArray:
    """Convert yuan to whole fen, rounding half-up away from zero (四舍五入).

    The amount is first rounded to 1e-6 fen to strip binary representation error, so that
    ``1.005`` yuan becomes 101 fen rather than 100.

    Parameters
    ----------
    amount_cny : array_like of float
        Amounts in yuan (元).

    Returns
    -------
    numpy.ndarray of int64
        Amounts in fen, same shape as the input.

    Raises
    ------
    SpecError
        If an amount is NaN or infinite, or too large for int64 fen.

    Examples
    --------
    >>> yuan_to_fen([1.005, -1.005, 2.5, 0.004]).tolist()
    [101, -101, 250, 0]
    """
    amounts = np.asarray(amount_cny, dtype=np.float64)
    if not np.all(np.isfinite(amounts)):
        raise SpecError("yuan_to_fen got NaN or infinite amounts; fill or drop them before converting to fen.")
    scaled = np.round(amounts * FEN_PER_YUAN, 6)
    if np.any(np.abs(scaled) >= _INT64_SAFE_FEN):
        raise SpecError("yuan_to_fen got an amount above 4.6e16 yuan; check the unit (元 vs 万元/亿元).")
    fen: IntArray = (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype(np.int64)
    return fen


def fen_to_yuan(amount_fen: npt.ArrayLike) -> FloatArray:
    """Convert whole fen to float64 yuan.

    Parameters
    ----------
    amount_fen : array_like of int
        Amounts in fen (分).

    Returns
    -------
    numpy.ndarray of float64
        Amounts in yuan.

    Examples
    --------
    >>> fen_to_yuan([101, -250]).tolist()
    [1.01, -2.5]
    """
    yuan: FloatArray = np.asarray(amount_fen, dtype=np.int64).astype(np.float64) / FEN_PER_YUAN
    return yuan


def round_half_up(amount_cny: npt.ArrayLike, decimals: int = 2) -> FloatArray:
    """Round yuan amounts half-up away from zero to ``decimals`` places, for display.

    Parameters
    ----------
    amount_cny : array_like of float
        Amounts in yuan.
    decimals : int, default 2
        Decimal places, 0 to 6.

    Returns
    -------
    numpy.ndarray of float64
        Rounded amounts.

    Raises
    ------
    SpecError
        If ``decimals`` is outside 0..6.

    Examples
    --------
    >>> round_half_up([2.675, -0.125], 2).tolist()
    [2.68, -0.13]
    """
    if not 0 <= decimals <= 6:
        raise SpecError(f"round_half_up needs decimals in 0..6; got {decimals}. Use 2 for fen, 0 for yuan.")
    factor = 10.0**decimals
    scaled = np.round(np.asarray(amount_cny, dtype=np.float64) * factor, 6)
    rounded: FloatArray = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / factor
    return rounded


def allocate_fen(total_fen: int, weights: npt.ArrayLike) -> IntArray:
    """Split ``total_fen`` into parts proportional to ``weights`` that add up to it exactly.

    Each part is floored, then the leftover fen go one each to the parts with the largest
    remainders; ties go to the earlier position. A negative total is split as the negative of
    the split of its absolute value.

    Parameters
    ----------
    total_fen : int
        The amount to split, in fen.
    weights : array_like of float
        Non-negative weights, not all zero.

    Returns
    -------
    numpy.ndarray of int64
        The parts, in fen; ``parts.sum() == total_fen``.

    Raises
    ------
    SpecError
        If a weight is negative or not finite, or all weights are zero.

    Examples
    --------
    >>> allocate_fen(100, [1, 1, 1]).tolist()
    [34, 33, 33]
    >>> allocate_fen(-5, [0.5, 0.5]).tolist()
    [-3, -2]
    """
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size == 0:
        raise SpecError("allocate_fen needs at least one weight; pass one weight per part.")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise SpecError("allocate_fen weights must be finite and >= 0; remove negative or NaN weights.")
    weight_sum = float(w.sum())
    if weight_sum <= 0:
        raise SpecError("allocate_fen weights are all zero; give at least one part a positive weight.")
    total = int(total_fen)
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    exact = w / weight_sum * magnitude
    floors = np.floor(exact).astype(np.int64)
    leftover = magnitude - int(floors.sum())
    remainders = exact - floors
    if leftover > 0:
        # Largest remainder first; stable sort on the negated remainders keeps earlier positions first on ties.
        order = np.argsort(-remainders, kind="stable")
        floors[order[:leftover]] += 1
    elif leftover < 0:  # float error pushed the floors past the total (only for totals near 2**53 fen)
        order = np.argsort(remainders, kind="stable")
        order = order[floors[order] > 0]
        floors[order[:-leftover]] -= 1
    parts: IntArray = floors * sign
    return parts
