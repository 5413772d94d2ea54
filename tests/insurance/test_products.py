"""Forest, crop, index and carbon-sink products; premium principles; credibility; Tweedie GLM."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from greenfin import evolve
from greenfin.errors import DataError, SpecError
from greenfin.insurance import (
    DiscreteSeverity,
    Exponential,
    IndexDesign,
    Loadings,
    Poisson,
    SubsidySplit,
    TweedieRating,
    aggregate,
    basis_risk,
    buhlmann_straub,
    default_crop_cover,
    default_forest_cover,
    forest_indemnity,
    gross_premium,
    index_payout,
    load_forest_cover,
    price_carbon_sink,
    price_crop,
    price_forest,
    price_index,
    rate_backtest,
    risk_premium,
    split_premium_fen,
)
from greenfin.insurance._forest import _lower, expected_loss_by_peril, simulate_events
from greenfin.money import allocate_fen, yuan_to_fen


def _parcels(n: int = 400, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "parcel_id": [f"X{i:05d}" for i in range(n)],
            "area_ha": rng.lognormal(0.5, 0.8, n),
            "species_group": rng.choice(["chinese_fir", "masson_pine", "broadleaf", "bamboo", "oil_tea"], n),
            "forest_category": rng.choice(["public_welfare", "commercial"], n),
            "stand_age_years": rng.integers(3, 60, n),
        }
    )


# --- forest: published worked examples -------------------------------------------------------------------------


@pytest.mark.reference
def test_forest_claim_worked_example() -> None:
    """Reference §1.8 (clause on m.vobao.com/news/867086965185637927.shtml): SI 800 yuan/mu, 100 mu damaged."""
    got = forest_indemnity([0.15, 0.20, 0.50, 0.89, 0.90, 1.00], 100.0, 800.0, default_forest_cover())
    np.testing.assert_allclose(got, [0, 0, 24_000, 55_200, 80_000, 80_000], atol=1e-6)


@pytest.mark.reference
def test_premium_split_worked_example() -> None:
    """Reference §1.8 county table (dyrmt.com/article-153825-2.html): shares on the unrounded premium."""
    pw = 550 * 0.00118  # 0.649 yuan/mu
    assert pw == pytest.approx(0.649, abs=1e-12)
    assert np.allclose(np.array([0.50, 0.25, 0.15, 0.10]) * pw, [0.3245, 0.16225, 0.09735, 0.0649])
    cm = 800 * 0.0015
    assert cm == pytest.approx(1.20)
    parts = split_premium_fen(yuan_to_fen([cm * 1000]), [0.30, 0.25, 0.20, 0.25])  # 1,000 mu: 1,200 yuan
    assert parts.tolist() == [[36_000, 30_000, 24_000, 30_000]]
    rice = split_premium_fen(yuan_to_fen([1100 * 0.045]), [0.45, 0.27, 0.03, 0.25])
    assert rice.sum() == 4950
    assert rice.tolist() == [[2228, 1337, 148, 1237]]  # 22.275/13.365/1.485/12.375 yuan: half fen to the first payers


@settings(max_examples=60, deadline=None)
@given(
    totals=st.lists(st.integers(0, 10**10), min_size=1, max_size=20),
    shares=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda w: sum(w) > 0.01),
)
def test_split_sums_to_the_premium_to_the_fen_and_equals_allocate_fen(totals: list[int], shares: list[float]) -> None:
    parts = split_premium_fen(totals, shares)
    assert parts.sum(axis=1).tolist() == totals
    for total, row in zip(totals, parts, strict=True):
        assert row.tolist() == allocate_fen(total, shares).tolist()


def test_forest_premium_split_reconciles_per_parcel_and_per_policy() -> None:
    res = price_forest(_parcels(), n_events=20_000, nodes=1 << 14)
    p = res.parcels
    assert (p["central_fen"] + p["provincial_fen"] + p["county_fen"] + p["insured_fen"] == p["premium_fen"]).all()
    split = res.split
    payers = split.select("central_fen", "provincial_fen", "county_fen", "insured_fen").sum_horizontal()
    assert (payers == split["premium_fen"]).all()
    assert int(split["premium_fen"].sum()) == int(p["premium_fen"].sum())


def test_subsidy_shares_above_100_percent_are_rejected() -> None:
    with pytest.raises(ValueError, match="not 100 %"):
        SubsidySplit(central=0.5, provincial=0.5, county=0.2, insured=0.0)
    with pytest.raises(ValueError, match="less than or equal to 1"):
        SubsidySplit(central=1.2, provincial=0.0, county=0.0, insured=0.0)


def test_subsidy_conditions_are_enforced(tmp_path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps({"split_public_welfare": {"central": 0.5, "provincial": 0.2, "county": 0.1, "insured": 0.2}})
    )
    with pytest.raises(SpecError, match=">= 40%"):
        load_forest_cover(rules)
    rules.write_text(
        json.dumps({"split_commercial": {"central": 0.3, "provincial": 0.1, "county": 0.3, "insured": 0.3}})
    )
    with pytest.raises(SpecError, match="provincial share >= 25%"):
        load_forest_cover(rules)
    rules.write_text(json.dumps({"relative_deductible": 0.1}))
    assert load_forest_cover(rules).relative_deductible == 0.1


def test_closed_form_expected_loss_matches_the_event_simulation() -> None:
    """The per-parcel closed form (lognormal partial moments, Beta payout) equals the simulated mean."""
    cover = evolve(default_forest_cover(), perils=("fire", "pest", "storm", "flood", "drought"))
    parcels = _parcels(300)
    low = _lower(parcels, cover)
    closed = float(sum(v.sum() for v in expected_loss_by_peril(low, cover).values()))
    from greenfin.insurance._forest import _event_rates

    lam = float(sum(r.sum() for r in _event_rates(low, cover).values()))
    ind, *_ = simulate_events(low, cover, 400_000, np.random.default_rng(11))
    mean, se = lam * ind.mean(), lam * ind.std() / math.sqrt(ind.size)
    assert abs(mean - closed) <= 4 * se


def test_minimum_fire_area_rule_lowers_the_fire_premium() -> None:
    parcels = _parcels(200)
    base = evolve(default_forest_cover(), perils=("fire",), min_fire_area_mu=0.0)
    strict = evolve(base, min_fire_area_mu=10.0)
    a = price_forest(parcels, base, n_events=5000, nodes=4096).summary["expected_loss_cny"]
    b = price_forest(parcels, strict, n_events=5000, nodes=4096).summary["expected_loss_cny"]
    assert b < a


@settings(max_examples=15, deadline=None)
@given(si=st.floats(200.0, 2000.0), bump=st.floats(1.01, 2.0), ded=st.floats(0.0, 0.5), cut=st.floats(0.01, 0.3))
def test_forest_premium_rises_with_sum_insured_and_coverage(si: float, bump: float, ded: float, cut: float) -> None:
    parcels = _parcels(60)
    cover = evolve(
        default_forest_cover(), si_commercial_cny_per_mu=si, si_public_welfare_cny_per_mu=si, relative_deductible=ded
    )
    kw = {"n_events": 2000, "nodes": 2048}
    base = price_forest(parcels, cover, **kw).summary["premium_cny"]
    more_si = price_forest(parcels, evolve(cover, si_commercial_cny_per_mu=si * bump), **kw).summary["premium_cny"]
    more_cover = price_forest(parcels, evolve(cover, relative_deductible=max(ded - cut, 0.0)), **kw)
    assert more_si > base
    assert more_cover.summary["premium_cny"] >= base * (1 - 1e-9)


def test_forest_accepts_any_parcel_file_with_the_columns_and_names_bad_rows() -> None:
    parcels = _parcels(10).with_columns(pl.lit("pine").alias("species_group"))
    with pytest.raises(DataError, match=r"species_group.*row 1"):
        price_forest(parcels)
    with pytest.raises(DataError, match="area_ha"):
        price_forest(_parcels(5).drop("area_ha"))


def test_rate_backtest_three_years_and_gaps() -> None:
    from greenfin.datasets import load_sample

    hist = load_sample("forest_loss_history")
    bt = rate_backtest(hist)
    assert set(bt["forest_category"]) == {"public_welfare", "commercial"}
    assert bt.height == 12
    assert ((bt["z"] >= 0) & (bt["z"] <= 1)).all()
    gap = hist.filter(~((pl.col("county_id").cast(pl.String) == "369902") & (pl.col("year") == 2024)))
    with pytest.raises(DataError, match="fill the gaps"):
        rate_backtest(gap)


# --- premium principles and loads ------------------------------------------------------------------------------


def test_premium_principles_match_compound_poisson_closed_forms() -> None:
    lam, mean = 2.0, 1.0
    res = aggregate(
        Poisson(lam=lam),
        Exponential(mean=mean),
        method="fft",
        nodes=1 << 15,
        step=60.0 / (1 << 15),
        discretization="local_moments",
        bracket=False,
    )
    a = 0.2
    assert risk_premium(res, "exponential_utility", a) == pytest.approx(lam / a * (1 / (1 - a * mean) - 1), rel=1e-4)
    h = 0.1
    assert risk_premium(res, "esscher", h) == pytest.approx(lam * mean / (1 - h * mean) ** 2, rel=1e-4)
    assert risk_premium(res, "expected_value", 0.3) == pytest.approx(1.3 * lam * mean, rel=1e-6)
    assert risk_premium(res, "variance", 0.1) == pytest.approx(lam * mean + 0.1 * 2 * lam * mean**2, rel=1e-4)
    coc = risk_premium(res, "cost_of_capital", 0.06)
    assert coc == pytest.approx(lam * mean + 0.06 * (res.central.quantile(0.995) - lam * mean), rel=1e-6)


def test_expense_rule_and_bad_principles() -> None:
    with pytest.raises(SpecError, match=r"<= 0\.2 for policy"):
        gross_premium(10.0, Loadings(expense_ratio=0.21, profit_margin=0.0, cat_load_cny=0.0, policy=True))
    assert gross_premium(10.0, Loadings(expense_ratio=0.21, profit_margin=0.0, cat_load_cny=0.0, policy=False)) > 10
    res = aggregate(Poisson(lam=1.0), DiscreteSeverity(values=(1.0,), probs=(1.0,)), method="panjer", nodes=32)
    with pytest.raises(SpecError, match="esscher"):
        risk_premium(res, "esscher", 0.0)


# --- credibility and GLM ---------------------------------------------------------------------------------------


def test_buhlmann_straub_matches_an_independent_implementation() -> None:
    rng = np.random.default_rng(5)
    x = rng.gamma(4.0, 0.2, (6, 4)) * rng.uniform(0.5, 1.5, (6, 1))
    w = rng.uniform(10, 100, (6, 4))
    r = buhlmann_straub(x, w)
    groups, n = x.shape
    wi = [sum(w[i]) for i in range(groups)]
    xi = [sum(w[i][t] * x[i][t] for t in range(n)) / wi[i] for i in range(groups)]
    tot = sum(wi)
    xw = sum(wi[i] * xi[i] for i in range(groups)) / tot
    s2 = sum(w[i][t] * (x[i][t] - xi[i]) ** 2 for i in range(groups) for t in range(n)) / (groups * (n - 1))
    a = (
        tot
        / (tot**2 - sum(v * v for v in wi))
        * (sum(wi[i] * (xi[i] - xw) ** 2 for i in range(groups)) - (groups - 1) * s2)
    )
    assert a > 0
    z = [wi[i] / (wi[i] + s2 / a) for i in range(groups)]
    coll = sum(z[i] * xi[i] for i in range(groups)) / sum(z)
    est = [z[i] * xi[i] + (1 - z[i]) * coll for i in range(groups)]
    np.testing.assert_allclose(r.table["estimate"].to_numpy(), est, rtol=1e-12)
    assert r.epv == pytest.approx(s2)
    assert r.vhm == pytest.approx(a)


def test_buhlmann_straub_no_between_group_variance_gives_zero_credibility() -> None:
    x = np.array([[1.0, 3.0, 2.0], [3.0, 1.0, 2.0]])
    r = buhlmann_straub(x, np.ones_like(x))
    assert r.vhm == 0.0
    assert (r.table["z"] == 0).all()


def test_tweedie_rating_recovers_relativities_and_keeps_the_sklearn_contract() -> None:
    rng = np.random.default_rng(9)
    n = 6000
    species = rng.choice(["fir", "pine", "broadleaf"], n)
    rel = {"broadleaf": 1.0, "fir": 1.5, "pine": 3.0}
    mu = 0.5 * np.vectorize(rel.get)(species)
    counts = rng.poisson(mu)
    y = np.array([rng.gamma(2.0, 0.5, k).sum() for k in counts])
    factors = pl.DataFrame({"species": species})
    est = TweedieRating(power=1.5)
    with pytest.raises(NotFittedError):
        est.predict(factors)
    assert est.fit(factors, y) is est
    table = est.relativities()
    got = dict(zip(table["level"], table["relativity"], strict=True))
    assert got["fir"] == pytest.approx(1.5, rel=0.1)
    assert got["pine"] == pytest.approx(3.0, rel=0.1)
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(SpecError):
        TweedieRating(power=2.5).fit(factors, y)


# --- crop -----------------------------------------------------------------------------------------------------


def _history(n_farms: int = 3, years: int = 20, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        {"farm_id": f"F{f}", "year": 2000 + t, "yield_kg_per_mu": 400 + 3 * t + rng.normal(0, 40)}
        for f in range(n_farms)
        for t in range(years)
    ]
    return pl.DataFrame(rows)


@settings(max_examples=20, deadline=None)
@given(levels=st.lists(st.floats(0.3, 1.0), min_size=2, max_size=5, unique=True))
def test_crop_rates_rise_with_coverage(levels: list[float]) -> None:
    cover = evolve(default_crop_cover(), coverage_levels=tuple(sorted(levels)), draws=2000)
    rates = price_crop(_history(2), cover).rates
    for farm in rates["farm_id"].unique():
        part = rates.filter(pl.col("farm_id") == farm).sort("coverage")
        for col in ("yield_rate", "full_cost_rate", "income_rate", "full_cost_loss_cost_cny_per_mu"):
            v = part[col].to_numpy()
            assert np.all(np.diff(v) >= -1e-12), col


def test_crop_income_cover_is_capped_and_distributions_work() -> None:
    for dist in ("empirical", "kernel", "beta"):
        cover = evolve(default_crop_cover(), distribution=dist, draws=2000)
        rates = price_crop(_history(), cover).rates
        assert rates["income_coverage"].max() <= 0.8
        assert (rates["full_cost_rate"] >= 0).all()


def test_yields_with_gaps_are_a_clear_error() -> None:
    hist = _history().filter(~((pl.col("farm_id") == "F1") & (pl.col("year") == 2007)))
    with pytest.raises(DataError, match=r"farm F1 has gaps.*\[2007\]"):
        price_crop(hist)
    with pytest.raises(DataError, match="must be > 0"):
        price_crop(_history().with_columns(pl.lit(-1.0).alias("yield_kg_per_mu")))


# --- weather index --------------------------------------------------------------------------------------------


def _design(**kw: object) -> IndexDesign:
    base = {
        "name": "t",
        "variable": "precip_mm",
        "aggregation": "sum",
        "window_start": "07-01",
        "window_end": "08-31",
        "kind": "deficit",
        "trigger": 200.0,
        "exit": 100.0,
        "sum_insured_cny_per_mu": 300.0,
    }
    return IndexDesign(**{**base, **kw})


def test_index_payout_linear_tiers_and_excess() -> None:
    d = _design()
    assert d.tick_cny_per_unit == 3.0
    assert index_payout([200, 150, 100, 0], d).tolist() == [0.0, 150.0, 300.0, 300.0]
    tiers = _design(tiers=((180.0, 0.2), (140.0, 0.5), (100.0, 1.0)))
    assert index_payout([190, 170, 120, 90], tiers).tolist() == [0.0, 60.0, 150.0, 300.0]
    ex = _design(kind="excess", trigger=11.0, exit=26.0, variable="tmax_c", aggregation="max")
    assert index_payout([10.0, 18.5, 30.0], ex).tolist() == [0.0, 150.0, 300.0]
    with pytest.raises(ValueError, match="exit < trigger"):
        _design(exit=250.0)


def test_basis_risk_measures() -> None:
    r = basis_risk([0, 10, 0, 5, 20], [0, 8, 3, 0, 25], premium_cny=7.0)
    assert r["hit_rate"] == pytest.approx(2 / 3)
    assert r["false_alarm_ratio"] == pytest.approx(1 / 3)
    assert r["threat_score"] == pytest.approx(2 / 4)
    assert r["p_zero_payout_in_loss_year"] == pytest.approx(1 / 3)
    assert r["hedging_effectiveness"] > 0


def test_index_pricing_on_the_sample_and_station_gaps() -> None:
    from greenfin.datasets import load_sample

    station = load_sample("weather_station")
    d = IndexDesign(**load_sample("index_design"))
    y = load_sample("rice_yield_history").group_by("year").agg(pl.col("yield_kg_per_mu").mean())
    r = price_index(station, d, yields=y)
    assert r.summary["years"] == 30
    assert r.summary["burn_cost_cny_per_mu"] == pytest.approx(r.years["payout_cny_per_mu"].mean())
    assert 0.3 < r.summary["fitted_cost_cny_per_mu"] / r.summary["burn_cost_cny_per_mu"] < 3
    holey = station.with_columns(pl.col("date").cast(pl.String)).filter(pl.col("date") != "2010-07-15")
    with pytest.raises(DataError, match=r"missing days.*2010"):
        price_index(holey, d)


# --- carbon sink ----------------------------------------------------------------------------------------------


def test_carbon_sink_cover_is_reproducible_and_priced() -> None:
    parcels = _parcels(300)
    a = price_carbon_sink(parcels, years=1000, seed=3)
    b = price_carbon_sink(parcels, years=1000, seed=3)
    assert a.summary == b.summary
    assert a.summary["premium_cny"] > a.summary["expected_payout_cny"] > 0
    assert 0 < a.summary["rate_on_line"] < 1
    higher = price_carbon_sink(parcels, years=1000, seed=3, carbon_price_cny_per_tco2e=120.0)
    assert higher.summary["premium_cny"] == pytest.approx(2 * a.summary["premium_cny"], rel=1e-9)


def test_burning_cost_trend_and_exposure() -> None:
    from greenfin.insurance import burning_cost

    h = pl.DataFrame({"year": [2022, 2023, 2024], "loss_cny": [100.0, 0.0, 300.0], "exposure": [10.0, 10.0, 20.0]})
    out = burning_cost(h, trend_per_year=0.05, target_year=2025, target_exposure=40.0)
    assert out["as_if_loss_cny"].to_list() == pytest.approx([100 * 1.05**3 * 4, 0.0, 300 * 1.05 * 2])
    assert out["as_if_loss_cost"].mean() == pytest.approx(out["as_if_loss_cny"].mean() / 40.0)
    with pytest.raises(DataError, match="exposure must be > 0"):
        burning_cost(
            h.with_columns(pl.lit(0.0).alias("exposure")), trend_per_year=0.0, target_year=2025, target_exposure=1.0
        )


def test_county_hazard_factor_and_unknown_county() -> None:
    parcels = _parcels(20).with_columns(pl.lit("369905").alias("county_id"))
    base = price_forest(parcels.drop("county_id"), n_events=2000, nodes=2048).summary["expected_loss_cny"]
    riskier = price_forest(parcels, n_events=2000, nodes=2048).summary["expected_loss_cny"]
    assert riskier > base
    with pytest.raises(SpecError, match="No hazard factor for county"):
        price_forest(parcels.with_columns(pl.lit("999999").alias("county_id")))


def test_fire_only_cover_costs_less_than_comprehensive(tmp_path) -> None:
    rules = tmp_path / "fire.json"
    rules.write_text(json.dumps({"perils": ["fire"]}))
    fire = price_forest(_parcels(100), load_forest_cover(rules), n_events=2000, nodes=2048)
    full = price_forest(_parcels(100), n_events=2000, nodes=2048)
    assert {c for c in fire.parcels.columns if c.startswith("expected_loss_") and c != "expected_loss_cny"} == {
        "expected_loss_fire_cny"
    }
    assert fire.summary["premium_cny"] < full.summary["premium_cny"]


def test_observed_price_dependence_is_reported_when_prices_are_given() -> None:
    from greenfin.datasets import load_sample

    trend = price_crop(load_sample("rice_yield_history"), evolve(default_crop_cover(), draws=2000)).trend
    county = trend.filter(pl.col("farm_id") == "county").row(0, named=True)
    assert -1.0 <= county["yield_price_correlation_observed"] < 0.0  # the sample's price moves against the yield
    assert county["price_volatility_observed"] > 0
    assert (
        "price_volatility_observed"
        not in price_crop(_history(), evolve(default_crop_cover(), draws=2000)).trend.columns
    )
