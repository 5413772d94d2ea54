import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenfin.errors import SpecError
from greenfin.money import allocate_fen, fen_to_yuan, round_half_up, yuan_to_fen


def test_half_up_not_half_even() -> None:
    # numpy: 0.125 -> 0.12 (half to even), 1.005 -> 1.0 (binary error); a ledger wants 0.13 and 1.01.
    assert yuan_to_fen([0.125, 1.005, 2.675, -0.125]).tolist() == [13, 101, 268, -13]
    assert round_half_up([0.5, 1.5, 2.5], 0).tolist() == [1.0, 2.0, 3.0]


def test_fen_round_trip_exact() -> None:
    fen = np.array([0, 1, -1, 123_456_789_012, -99], dtype=np.int64)
    assert yuan_to_fen(fen_to_yuan(fen)).tolist() == fen.tolist()


def test_bad_amounts_are_refused() -> None:
    with pytest.raises(SpecError, match="NaN"):
        yuan_to_fen([1.0, float("nan")])
    with pytest.raises(SpecError, match="unit"):
        yuan_to_fen([1e17])
    with pytest.raises(SpecError, match="all zero"):
        allocate_fen(100, [0, 0])
    with pytest.raises(SpecError, match=">= 0"):
        allocate_fen(100, [1, -1])


def test_allocation_largest_remainder_ties_by_position() -> None:
    assert allocate_fen(2, [1, 1, 1]).tolist() == [1, 1, 0]
    assert allocate_fen(10, [0.2, 0.3, 0.5]).tolist() == [2, 3, 5]
    assert allocate_fen(7, [0, 1]).tolist() == [0, 7]


@given(st.integers(-(10**14), 10**14), st.lists(st.floats(0.0, 1e6), min_size=1, max_size=50))
def test_allocation_conserves_every_fen(total_fen: int, weights: list[float]) -> None:
    if sum(weights) <= 0:
        weights = [*weights[:-1], 1.0]
    parts = allocate_fen(total_fen, np.array(weights))
    assert parts.sum() == total_fen
    # each part is within one fen of its exact share
    exact = np.array(weights) / sum(weights) * total_fen
    assert np.all(np.abs(parts - exact) < 1.0 + 1e-6 * abs(total_fen))


@given(st.floats(-1e12, 1e12, allow_nan=False))
def test_yuan_to_fen_is_nearest_fen(amount: float) -> None:
    fen = int(yuan_to_fen([amount])[0])
    assert abs(fen - amount * 100) <= 0.5 + 1e-3
