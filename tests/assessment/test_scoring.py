"""Hand-computed scoring cases: each indicator, each part, the total and the ranking.

The hand panel (conftest.hand_panel): history 2024Q1..2025Q1 constant, scored quarter 2025Q2.

| bank | G hist | G t | D | NPL hist | NPL t | qualitative |
|------|--------|-----|------|---------|-------|-------------|
| A    | 100    | 120 | 1000 | 1       | 1.2   | 20+30+25=75 |
| B    | 50     | 45  | 500  | 0       | 0.9   | 10+20+10=40 |
| C    | 200    | 240 | 800  | 4       | 2.4   | 25+35+20=80 |
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from greenfin import evolve
from greenfin.assessment import (
    Override,
    cross_sectional_points,
    indicator_values,
    load_rulebook,
    longitudinal_points,
    score_banks,
)
from greenfin.errors import SpecError

RB = load_rulebook("pboc-2021")


def _points(result: Any, bank: str, indicator: str) -> tuple[float, float]:
    row = result.breakdown.filter((pl.col("bank_code") == bank) & (pl.col("indicator") == indicator)).row(0, named=True)
    return row["longitudinal_points"], row["cross_sectional_points"]


def test_indicator_values_by_hand(hand_panel: pl.DataFrame) -> None:
    v = indicator_values(hand_panel, RB).filter(pl.col("quarter") == "2025Q2")
    got = {(r["bank_code"], r["indicator"]): r["value"] for r in v.to_dicts()}
    assert got[("A", "green_share")] == pytest.approx(0.12)
    assert got[("C", "green_share")] == pytest.approx(0.30)
    assert got[("A", "market_share")] == pytest.approx(120 / 405)
    assert got[("B", "yoy_growth")] == pytest.approx(-0.1)
    assert got[("B", "risk_share")] == pytest.approx(0.02)
    # growth four quarters back needs 2023Q4, absent: undefined, not zero
    back = indicator_values(hand_panel, RB).filter(
        (pl.col("quarter") == "2024Q4") & (pl.col("indicator") == "yoy_growth")
    )
    assert back["value"].is_null().all()


def test_green_share_by_hand(hand_panel: pl.DataFrame) -> None:
    r = score_banks(hand_panel, RB, "2025Q2")
    # V = 10 min(1, x/xbar): A .12/.10 -> 10; B .09/.10 -> 9; C .30/.25 -> 10
    # H = 15 (x - min)/(max - min), min .09 max .30: A 15*.03/.21
    assert _points(r, "A", "green_share") == pytest.approx((10.0, 15 * 0.03 / 0.21))
    assert _points(r, "B", "green_share") == pytest.approx((9.0, 0.0))
    assert _points(r, "C", "green_share") == pytest.approx((10.0, 15.0))


def test_market_share_by_hand(hand_panel: pl.DataFrame) -> None:
    r = score_banks(hand_panel, RB, "2025Q2")
    a, b, c = 120 / 405, 45 / 405, 240 / 405
    assert _points(r, "A", "market_share") == pytest.approx((10.0, 15 * (a - b) / (c - b)))
    assert _points(r, "B", "market_share") == pytest.approx((10 * b / (50 / 350), 0.0))
    assert _points(r, "C", "market_share") == pytest.approx((10.0, 15.0))


def test_growth_by_hand_with_nonpositive_history(hand_panel: pl.DataFrame) -> None:
    r = score_banks(hand_panel, RB, "2025Q2")
    # own history: only 2025Q1 has a growth (0.0); mean 0 -> guard full_if_not_worse
    assert _points(r, "A", "yoy_growth") == pytest.approx((10.0, 15.0))
    assert _points(r, "B", "yoy_growth") == pytest.approx((0.0, 0.0))
    assert _points(r, "C", "yoy_growth") == pytest.approx((10.0, 15.0))
    row = r.breakdown.filter((pl.col("bank_code") == "A") & (pl.col("indicator") == "yoy_growth")).row(0, named=True)
    assert row["history_quarters"] == 1
    assert "missing_history" in row["guard"]


def test_risk_indicator_is_inverted_by_hand(hand_panel: pl.DataFrame) -> None:
    r = score_banks(hand_panel, RB, "2025Q2")
    # V = 10 min(1, xbar/x): A .01/.01 -> 10; B 0/.02 -> 0; C .02/.01 -> 10
    # H = 15 (max - x)/(max - min): max .02 min .01
    assert _points(r, "A", "risk_share") == pytest.approx((10.0, 15.0))
    assert _points(r, "B", "risk_share") == pytest.approx((0.0, 0.0))
    assert _points(r, "C", "risk_share") == pytest.approx((10.0, 15.0))


def test_total_and_ranking_by_hand(hand_panel: pl.DataFrame) -> None:
    r = score_banks(hand_panel, RB, "2025Q2")
    s = {row["bank_code"]: row for row in r.scores.to_dicts()}
    quant_a = 10 + 15 * 0.03 / 0.21 + 10 + 15 * (75 / 405) / (195 / 405) + 25 + 25
    quant_b = 9 + 10 * (45 / 405) / (50 / 350)
    assert s["A"]["quantitative_score"] == pytest.approx(quant_a)
    assert s["B"]["quantitative_score"] == pytest.approx(quant_b)
    assert s["C"]["quantitative_score"] == pytest.approx(100.0)
    assert s["A"]["qualitative_score"] == pytest.approx(75.0)
    assert s["A"]["total_score"] == pytest.approx(0.8 * quant_a + 0.2 * 75)
    assert s["B"]["total_score"] == pytest.approx(0.8 * quant_b + 0.2 * 40)
    assert s["C"]["total_score"] == pytest.approx(96.0)
    assert [s[b]["rank"] for b in "CAB"] == [1, 2, 3]
    assert r.scores["rank_basis"].unique().to_list() == ["total"]


def test_chongqing_weights_70_30(hand_panel: pl.DataFrame) -> None:
    rb = load_rulebook("chongqing-2023")
    r = score_banks(hand_panel, rb, "2025Q2")
    row = r.scores.filter(pl.col("bank_code") == "C").row(0, named=True)
    assert row["total_score"] == pytest.approx(0.7 * row["quantitative_score"] + 0.3 * 80.0)
    assert row["grade"] is not None


def test_2018_increment_share_and_cost_and_eco_share(build_panel: Any) -> None:
    history = {
        "A": {"g": 100.0, "npl": 0.0, "total": 400.0, "rate": 0.05, "eco": 10.0},
        "B": {"g": 100.0, "npl": 0.0, "total": 400.0, "rate": 0.04, "eco": 0.0},
    }
    current = {
        "A": {"g": 130.0, "npl": 0.0, "total": 500.0, "rate": 0.045, "eco": 26.0},
        "B": {"g": 110.0, "npl": 0.0, "total": 500.0, "rate": 0.04, "eco": 0.0},
    }
    panel = build_panel(current, history, {"A": 1000.0, "B": 1000.0}, {"A": (1, 1, 1), "B": (1, 1, 1)})
    v18 = indicator_values(panel, load_rulebook("pboc-2018")).filter(pl.col("quarter") == "2025Q2")
    inc = dict(v18.filter(pl.col("indicator") == "green_loan_increment_share").select("bank_code", "value").iter_rows())
    # (G_t - G_t-4) / (L_t - L_t-4): A 30/100, B 10/100 (denominator total_loans in 2018)
    assert inc == pytest.approx({"A": 0.3, "B": 0.1})
    share = dict(v18.filter(pl.col("indicator") == "green_loan_share").select("bank_code", "value").iter_rows())
    assert share == pytest.approx({"A": 130 / 500, "B": 110 / 500})
    cost = indicator_values(panel, load_rulebook("chongqing-2023")).filter(
        (pl.col("quarter") == "2025Q2") & (pl.col("indicator") == "green_credit_cost")
    )
    assert dict(cost.select("bank_code", "value").iter_rows()) == pytest.approx({"A": 0.045, "B": 0.04})
    jx = score_banks(panel, load_rulebook("jiangxi-evr"), "2025Q2")
    eco = jx.breakdown.filter(pl.col("indicator") == "eco_product_share").sort("bank_code")
    assert eco["value"].to_list() == pytest.approx([0.2, 0.0])
    # A: 0.2 vs own mean 0.1 -> 4 longitudinal; best -> 6 cross-sectional. B: 0 vs 0 -> not worse -> 4; worst -> 0
    assert eco["points"].to_list() == pytest.approx([10.0, 4.0])


def test_kernels_forms_and_guards() -> None:
    g = RB.guards
    lon = RB.indicators[0].longitudinal
    crs = RB.indicators[0].cross_sectional
    hist = np.array([[0.1, np.nan, 0.3], [np.nan, np.nan, np.nan]])
    # use_available: mean(0.1, 0.3) = 0.2; no history at all: guard no_history=full
    assert longitudinal_points(np.array([0.1, 0.5]), hist, lon, "higher", g).tolist() == pytest.approx([5.0, 10.0])
    zero = evolve(g, missing_history="zero", no_history="zero")
    assert longitudinal_points(np.array([0.1, 0.5]), hist, lon, "higher", zero).tolist() == [0.0, 0.0]
    binary = evolve(lon, form="not_worse_than_mean")
    assert longitudinal_points(np.array([0.19, 0.2]), np.array([[0.2] * 3] * 2), binary, "higher", g).tolist() == [
        0.0,
        10.0,
    ]
    # equal peers
    same = np.array([0.2, 0.2])
    assert cross_sectional_points(same, ["a", "a"], crs, "higher", g).tolist() == [15.0, 15.0]
    assert cross_sectional_points(same, ["a", "a"], crs, "higher", evolve(g, equal_peers="half")).tolist() == [7.5, 7.5]
    # ratio to best (Ningshan rule): higher x/best, lower best/x
    best = evolve(crs, form="ratio_to_best")
    assert cross_sectional_points(np.array([0.1, 0.4]), ["a", "a"], best, "higher", g).tolist() == pytest.approx(
        [3.75, 15.0]
    )
    assert cross_sectional_points(np.array([0.01, 0.04]), ["a", "a"], best, "lower", g).tolist() == pytest.approx(
        [15.0, 3.75]
    )
    # peer groups are scored separately; undefined values get zero and are left out of min/max
    x = np.array([0.1, 0.3, 0.5, np.nan])
    assert cross_sectional_points(x, ["a", "a", "b", "a"], crs, "higher", g).tolist() == [0.0, 15.0, 15.0, 0.0]


def test_overrides_need_reason_and_author_and_stay_in_range(hand_panel: pl.DataFrame) -> None:
    ov = Override(
        bank_code="B",
        quarter="2025Q2",
        target="risk_share",
        points=20.0,
        reason="NPL reclassified after audit",
        author="Li Wei",
    )
    r = score_banks(hand_panel, RB, "2025Q2", overrides=[ov])
    row = r.scores.filter(pl.col("bank_code") == "B").row(0, named=True)
    assert row["risk_share"] == 20.0
    assert row["quantitative_score"] == pytest.approx(9 + 10 * (45 / 405) / (50 / 350) + 20.0)
    log = r.overrides.row(0, named=True)
    assert (log["computed_points"], log["reason"], log["author"]) == (0.0, "NPL reclassified after audit", "Li Wei")
    total = Override(
        bank_code="A", quarter="2025Q2", target="total", points=99.0, reason="policy transition case", author="Wang"
    )
    r2 = score_banks(hand_panel, RB, "2025Q2", overrides=[total])
    assert r2.scores.filter(pl.col("bank_code") == "A")["rank"].item() == 1
    with pytest.raises(ValueError, match="reason"):
        Override(bank_code="A", quarter="2025Q2", target="total", points=1.0, reason="", author="Wang")
    with pytest.raises(SpecError, match="above the maximum"):
        score_banks(hand_panel, RB, "2025Q2", overrides=[evolve(ov, points=30.0)])
    with pytest.raises(SpecError, match="unknown"):
        score_banks(hand_panel, RB, "2025Q2", overrides=[evolve(ov, target="nonsense")])
    with pytest.raises(SpecError, match="not scored"):
        score_banks(hand_panel, RB, "2025Q2", overrides=[evolve(ov, bank_code="Z")])


def test_rulebooks_round_trip_through_json() -> None:
    from greenfin.assessment import Rulebook, list_rulebooks

    for rid in list_rulebooks():
        rb = load_rulebook(rid)
        assert Rulebook.model_validate_json(rb.model_dump_json()) == rb
        assert sum(i.points for i in rb.indicators) == pytest.approx(100.0)


def test_rulebook_rejects_inconsistent_weights() -> None:
    with pytest.raises(SpecError, match="must equal 1"):
        evolve(RB, quantitative_weight={"value": 0.7, "status": "unverified", "source": "test case"})
    with pytest.raises(SpecError, match="Unknown rulebook"):
        load_rulebook("nope")


def test_sample_scores_every_rulebook(sample_panel: pl.DataFrame) -> None:
    from greenfin.assessment import list_rulebooks

    for rid in list_rulebooks():
        r = score_banks(sample_panel, load_rulebook(rid), "2025Q2")
        assert r.scores.height == 20
        assert r.scores["total_score"].is_between(0, 100).all()
        assert sorted(r.scores["rank"].to_list())[0] == 1


def test_infinite_values_are_undefined_not_nan() -> None:
    """Growth on a denormal base overflows to inf: scored as undefined (0 points), never NaN (hypothesis found it)."""
    g = RB.guards
    ind = RB.indicators[2]
    x = np.array([np.inf, 0.1, 0.2])
    hist = np.array([[np.inf, 0.1, 0.1], [0.1, 0.1, 0.1], [0.1, 0.1, 0.1]])
    h = cross_sectional_points(x, ["a"] * 3, ind.cross_sectional, "higher", g)
    v = longitudinal_points(x, hist, ind.longitudinal, "higher", g)
    assert h.tolist() == [0.0, 0.0, 15.0]
    assert v.tolist() == [0.0, 10.0, 10.0]
