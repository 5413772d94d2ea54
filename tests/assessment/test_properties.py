"""Property tests: scores in range, ranking invariant to bank order, improving an indicator never loses points."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from greenfin.assessment import cross_sectional_points, list_rulebooks, load_rulebook, longitudinal_points, score_banks

RULEBOOKS = [load_rulebook(r) for r in list_rulebooks()]
values = st.floats(min_value=-0.5, max_value=2.0, allow_nan=False, width=64)
maybe = st.one_of(values, st.just(float("nan")))


@st.composite
def kernel_case(draw: Any) -> tuple[Any, ...]:
    n = draw(st.integers(1, 8))
    x = np.array(draw(st.lists(maybe, min_size=n, max_size=n)))
    hist = np.array(draw(st.lists(st.lists(maybe, min_size=3, max_size=3), min_size=n, max_size=n)))
    groups = draw(st.lists(st.sampled_from(["g1", "g2"]), min_size=n, max_size=n))
    rb = draw(st.sampled_from(RULEBOOKS))
    ind = draw(st.sampled_from(rb.indicators))
    form = draw(st.sampled_from(["min_max", "ratio_to_best"]))
    lform = draw(st.sampled_from(["ratio_to_own_mean", "not_worse_than_mean"]))
    i = draw(st.integers(0, n - 1))
    step = draw(st.floats(min_value=0.0, max_value=1.0))
    return x, hist, groups, rb, ind, form, lform, i, step


@settings(max_examples=300, deadline=None)
@given(kernel_case())
def test_kernel_points_in_range_and_monotone(case: tuple[Any, ...]) -> None:
    x, hist, groups, rb, ind, form, lform, i, step = case
    from greenfin import evolve

    crs = evolve(ind.cross_sectional, form=form)
    lon = evolve(ind.longitudinal, form=lform)
    h = cross_sectional_points(x, groups, crs, ind.direction, rb.guards)
    v = longitudinal_points(x, hist, lon, ind.direction, rb.guards)
    assert np.all((h >= 0) & (h <= crs.points + 1e-12))
    assert np.all((v >= 0) & (v <= lon.points + 1e-12))
    # bank i improves its current value (up when higher is better, down when lower is better)
    better = x.copy()
    if np.isnan(better[i]):
        better[i] = 0.0
    better[i] = better[i] + step if ind.direction == "higher" else better[i] - step
    h2 = cross_sectional_points(better, groups, crs, ind.direction, rb.guards)
    v2 = longitudinal_points(better, hist, lon, ind.direction, rb.guards)
    assert h2[i] >= h[i] - 1e-9
    assert v2[i] >= v[i] - 1e-9


@st.composite
def panel_case(draw: Any) -> pl.DataFrame:
    n = draw(st.integers(2, 6))
    quarters = ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2"]
    rows = []
    for b in range(n):
        for q in quarters:
            g = draw(st.floats(0.0, 1e9))
            rows.append(
                {
                    "bank_code": f"B{b}",
                    "quarter": q,
                    "n_loans": 1,
                    "n_green_loans": 1,
                    "total_loans_cny": g + draw(st.floats(1.0, 1e9)),
                    "green_loans_cny": g,
                    "green_npl_cny": g * draw(st.floats(0.0, 0.2)),
                    "eco_green_loans_cny": g * draw(st.floats(0.0, 1.0)),
                    "green_rate_x_balance_cny": g * 0.04,
                    "green_rated_balance_cny": g,
                    "green_bonds_held_cny": draw(st.floats(0.0, 1e8)),
                    "green_bond_default_cny": 0.0,
                    "denominator_total_business_cny": draw(st.floats(1e6, 1e10)),
                    "qualitative_a": draw(st.floats(0, 30)),
                    "qualitative_b": draw(st.floats(0, 40)),
                    "qualitative_c": draw(st.floats(0, 30)),
                    "peer_group": "all",
                    "q_index": 2024 * 4 + quarters.index(q),
                    "green_loan_rate": 0.04,
                }
            )
    return pl.DataFrame(rows)


@settings(max_examples=25, deadline=None)
@given(panel_case(), st.sampled_from(RULEBOOKS), st.randoms(use_true_random=False))
def test_scores_in_range_and_ranking_invariant_to_bank_order(panel: pl.DataFrame, rb: Any, rnd: Any) -> None:
    r = score_banks(panel, rb, "2025Q2")
    s = r.scores
    assert s["quantitative_score"].is_between(0, 100 + 1e-9).all()
    assert s["total_score"].is_between(0, 100 + 1e-9).all()
    for ind in rb.indicators:
        assert s[ind.id].is_between(0, ind.points + 1e-9).all()
    order = list(range(panel.height))
    rnd.shuffle(order)
    shuffled = score_banks(panel[order], rb, "2025Q2").scores
    a = s.sort("bank_code").select("bank_code", "total_score", "rank")
    b = shuffled.sort("bank_code").select("bank_code", "total_score", "rank")
    assert a["bank_code"].to_list() == b["bank_code"].to_list()
    assert a["rank"].to_list() == b["rank"].to_list()
    assert np.allclose(a["total_score"].to_numpy(), b["total_score"].to_numpy())
