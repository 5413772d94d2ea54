import json

import numpy as np
import polars as pl
import pytest
from scipy.stats import binom

from greenfin import evolve
from greenfin.errors import DataError, SpecError
from greenfin.lending import (
    Contributor,
    CopulaSpec,
    FundSpec,
    compare_designs,
    load_fund_spec,
    simulate_fund,
    vasicek_loss_quantile,
)


def spec(**changes) -> FundSpec:
    base = FundSpec(
        id="test",
        fund_cny=1e7,
        contributors=(
            Contributor(name="provincial_guarantee", name_zh="省农担", share=0.5),
            Contributor(name="city", share=0.2),
            Contributor(name="county", share=0.3),
        ),
        leverage_multiple=8.0,
        fund_loss_share=0.5,
        npl_trigger=0.5,
        top_up="none",
        top_up_cap_share=0.0,
        horizon_years=1,
        copula=CopulaSpec(asset_correlation=0.0, weight_global=1.0, weight_county=0.0, weight_sector=0.0),
    )
    return evolve(base, **changes)


def book(n: int, pd: float = 0.02, lgd: float = 1.0, ead: float = 1.0, **cols) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "loan_id": [f"L{i}" for i in range(n)],
            "ead_cny": np.full(n, ead),
            "pd": np.full(n, pd),
            "lgd": np.full(n, lgd),
            **cols,
        }
    )


def test_shares_must_sum_to_one() -> None:
    raw = json.loads(spec().model_dump_json())
    raw["contributors"][2]["share"] = 0.4
    with pytest.raises(SpecError, match=r"contributor shares must sum to 1.*sums to 1\.1"):
        load_fund_spec(raw)


def test_factor_weights_must_sum_to_one() -> None:
    with pytest.raises(SpecError, match="weight_global"):
        evolve(
            spec(), copula={"asset_correlation": 0.1, "weight_global": 0.5, "weight_county": 0.0, "weight_sector": 0.0}
        )


def test_fund_spec_round_trips_and_loads_the_sample(tmp_path) -> None:
    s = spec()
    assert FundSpec.model_validate_json(s.model_dump_json()) == s
    from greenfin.datasets import sample_path

    bundled = load_fund_spec(sample_path("fund_spec"))
    assert [c.share for c in bundled.contributors] == [0.5, 0.2, 0.3]
    assert bundled.leverage_multiple >= 8.0
    assert bundled.contributions_cny()["county"] == pytest.approx(0.3 * bundled.fund_cny)
    with pytest.raises(SpecError, match="does not exist"):
        load_fund_spec(tmp_path / "nope.json")


@pytest.mark.reference
def test_large_pool_quantiles_match_vasicek() -> None:
    """Vasicek (2002) eq. 5 / BCBS (2005) §3: large-pool loss quantile; MC within 4 quantile standard errors."""
    rho, pd, n_loans, n_scen = 0.15, 0.02, 5000, 4000
    res = simulate_fund(
        book(n_loans, pd),
        spec(copula={"asset_correlation": rho, "weight_global": 1.0, "weight_county": 0.0, "weight_sector": 0.0}),
        n_scenarios=n_scen,
        seed=7,
    )
    loss_rate = res.scenarios["loss_cny"].to_numpy() / n_loans
    assert loss_rate.mean() == pytest.approx(pd, rel=0.06)
    for q in (0.5, 0.9, 0.99):
        closed = vasicek_loss_quantile(pd, 1.0, rho, q)
        # standard error of an MC quantile: sqrt(q(1-q)/N) / density; density from the closed form by differences
        h = 0.002
        dens = 2 * h / (vasicek_loss_quantile(pd, 1.0, rho, q + h) - vasicek_loss_quantile(pd, 1.0, rho, q - h))
        se = np.sqrt(q * (1 - q) / n_scen) / dens
        granular = np.sqrt(closed * (1 - closed) / n_loans)  # finite-pool binomial noise around the large-pool value
        assert abs(np.quantile(loss_rate, q) - closed) < 4 * se + 3 * granular, q


def test_vasicek_closed_form_properties() -> None:
    # hand evaluation: Phi((Phi^-1(0.01) + sqrt(0.12) Phi^-1(0.999)) / sqrt(0.88)) = Phi(-1.3387) = 0.0903
    assert vasicek_loss_quantile(0.01, 1.0, 0.12, 0.999) == pytest.approx(0.0903, abs=1e-4)
    assert vasicek_loss_quantile(0.03, 0.45, 0.0, 0.99) == pytest.approx(0.03 * 0.45)
    qs = [vasicek_loss_quantile(0.02, 1.0, 0.2, q) for q in (0.1, 0.5, 0.9, 0.99)]
    assert qs == sorted(qs)
    with pytest.raises(SpecError):
        vasicek_loss_quantile(0.0, 1.0, 0.1, 0.99)


def test_independent_defaults_are_binomial() -> None:
    """rho = 0: the number of defaults of n loans with PD p is Binomial(n, p)."""
    n, p, scen = 200, 0.05, 20000
    res = simulate_fund(book(n, p), spec(), n_scenarios=scen, seed=11)
    k = res.scenarios["loss_cny"].to_numpy()
    assert k.mean() == pytest.approx(n * p, abs=4 * np.sqrt(n * p * (1 - p) / scen))
    assert k.var() == pytest.approx(n * p * (1 - p), rel=0.05)
    # distribution: empirical pmf against the binomial pmf, chi-square style bound on the main mass
    values, counts = np.unique(k.astype(int), return_counts=True)
    for v, c in zip(values, counts, strict=True):
        expected = binom.pmf(v, n, p) * scen
        if expected > 50:
            assert abs(c - expected) < 5 * np.sqrt(expected), v


def test_heterogeneous_independent_mean_and_variance() -> None:
    rng = np.random.default_rng(0)
    n, scen = 300, 20000
    pds = rng.uniform(0.0, 0.2, n)
    ead = rng.uniform(1.0, 3.0, n)
    lgd = rng.uniform(0.2, 0.9, n)
    frame = pl.DataFrame({"loan_id": [f"L{i}" for i in range(n)], "ead_cny": ead, "pd": pds, "lgd": lgd})
    loss = simulate_fund(frame, spec(), n_scenarios=scen, seed=3).scenarios["loss_cny"].to_numpy()
    w = ead * lgd
    mean, var = (w * pds).sum(), (w**2 * pds * (1 - pds)).sum()
    assert loss.mean() == pytest.approx(mean, abs=4 * np.sqrt(var / scen))
    assert loss.var() == pytest.approx(var, rel=0.06)


def test_same_seed_same_result_other_seed_differs() -> None:
    frame = book(500, 0.05, county_id=["a", "b"] * 250, sector=["x"] * 500)
    s = spec(copula={"asset_correlation": 0.2, "weight_global": 0.5, "weight_county": 0.3, "weight_sector": 0.2})
    a = simulate_fund(frame, s, n_scenarios=300, seed=5)
    b = simulate_fund(frame, s, n_scenarios=300, seed=5)
    c = simulate_fund(frame, s, n_scenarios=300, seed=6)
    assert a.scenarios.equals(b.scenarios)
    assert not a.scenarios.equals(c.scenarios)
    one_thread = simulate_fund(frame, s, n_scenarios=300, seed=5, n_threads=1, chunk_scenarios=100)
    assert one_thread.scenarios.equals(a.scenarios)


def test_loss_sharing_arithmetic() -> None:
    res = simulate_fund(book(1000, 0.05, ead=1000.0), spec(fund_cny=1e9, fund_loss_share=0.8), n_scenarios=500, seed=1)
    sc = res.scenarios
    assert np.allclose(sc["fund_paid_cny"], 0.8 * sc["loss_cny"])
    assert np.allclose(sc["bank_loss_cny"] + sc["fund_paid_cny"], sc["loss_cny"])
    assert res.summary["p_fund_exhausted"] == 0.0
    assert res.summary["bank_expected_loss_cny"] == pytest.approx(0.2 * res.summary["expected_loss_cny"])


def test_small_fund_is_exhausted_and_bank_takes_the_rest() -> None:
    res = simulate_fund(book(1000, 0.1, ead=1000.0), spec(fund_cny=1000.0), n_scenarios=300, seed=2)
    sc = res.scenarios
    assert (sc["fund_paid_cny"] <= 1000.0 + 1e-9).all()
    assert res.summary["p_fund_exhausted"] > 0.99
    assert np.allclose(sc["bank_loss_cny"], sc["loss_cny"] - sc["fund_paid_cny"])


def test_trigger_stops_lending_and_top_up_refills() -> None:
    frame = book(500, 0.08, ead=100.0)
    s = spec(fund_cny=2000.0, horizon_years=3, npl_trigger=0.05)
    res = simulate_fund(frame, s, n_scenarios=400, seed=4)
    assert res.summary["p_lending_stopped"] > 0.5
    stopped = res.scenarios.filter(pl.col("lending_stopped"))
    assert (stopped["max_npl_ratio"] > 0.05).all()
    topped = simulate_fund(
        frame, evolve(s, npl_trigger=0.9, top_up="restore_annually", top_up_cap_share=1.0), n_scenarios=400, seed=4
    )
    assert topped.summary["expected_top_up_cny"] > 0
    assert topped.summary["fund_expected_paid_cny"] > res.summary["fund_expected_paid_cny"]


def test_slices_add_up_to_the_book() -> None:
    frame = book(
        600,
        0.05,
        ead=10.0,
        county_id=["c1", "c2", "c3"] * 200,
        sector=["rice", "tea"] * 300,
        product_id=["p1"] * 300 + ["p2"] * 300,
    )
    s = spec(
        fund_cny=100.0,
        copula={"asset_correlation": 0.2, "weight_global": 0.4, "weight_county": 0.4, "weight_sector": 0.2},
    )
    res = simulate_fund(frame, s, n_scenarios=500, seed=9, slice_by="county_id")
    sl = res.slices
    assert sl["slice"].to_list() == ["c1", "c2", "c3"]
    assert sl["book_cny"].sum() == pytest.approx(6000.0)
    assert sl["expected_loss_cny"].sum() == pytest.approx(res.summary["expected_loss_cny"])
    assert sl["fund_expected_paid_cny"].sum() == pytest.approx(res.summary["fund_expected_paid_cny"])
    assert sl["bank_expected_loss_cny"].sum() == pytest.approx(res.summary["bank_expected_loss_cny"])
    by_product = simulate_fund(frame, s, n_scenarios=500, seed=9, slice_by="product_id").slices
    assert by_product["slice"].to_list() == ["p1", "p2"]


def test_growth_headroom() -> None:
    frame = book(100, 0.02, ead=1e5)  # 1e7 book against a 1e7 fund × 8
    res = simulate_fund(frame, spec(), n_scenarios=200, seed=1)
    assert res.summary["max_book_by_multiple_cny"] == pytest.approx(8e7)
    assert res.summary["growth_headroom_cny"] == pytest.approx(min(8e7, res.summary["max_book_by_fund_cny"]) - 1e7)


def test_compare_designs_uses_common_scenarios() -> None:
    frame = book(400, 0.04, ead=1000.0)
    base = spec(fund_cny=50_000.0)
    table = compare_designs(
        frame,
        base,
        [{"id": "base"}, {"id": "10x", "leverage_multiple": 10.0}, {"id": "share80", "fund_loss_share": 0.8}],
        n_scenarios=300,
        seed=8,
    )
    assert table["design_id"].to_list() == ["base", "10x", "share80"]
    direct = simulate_fund(frame, base, n_scenarios=300, seed=8, scale_book_to=base.max_book_cny)
    assert table.row(0, named=True)["expected_loss_cny"] == pytest.approx(direct.summary["expected_loss_cny"])
    assert table["book_cny"].to_list() == pytest.approx([4e5, 5e5, 4e5])
    rows = {r["design_id"]: r for r in table.iter_rows(named=True)}
    assert rows["share80"]["bank_expected_loss_cny"] < rows["base"]["bank_expected_loss_cny"]
    with pytest.raises(SpecError, match="Design 'bad'"):
        compare_designs(frame, base, [{"id": "bad", "fund_loss_share": 2.0}], n_scenarios=10, seed=1)
    with pytest.raises(SpecError, match="copula or horizon"):
        compare_designs(frame, base, [{"id": "h", "horizon_years": 2}], n_scenarios=10, seed=1)


def test_bad_portfolio_and_run_parameters() -> None:
    with pytest.raises(DataError, match="column pd, row 1"):
        simulate_fund(book(3, 1.5), spec(), n_scenarios=10, seed=1)
    with pytest.raises(SpecError, match="n_scenarios"):
        simulate_fund(book(3), spec(), n_scenarios=0, seed=1)
    with pytest.raises(SpecError, match="slice_by"):
        simulate_fund(book(3), spec(), n_scenarios=10, seed=1, slice_by="village")


@pytest.mark.reference
def test_bank_expected_loss_after_sharing_formula() -> None:
    """assessment.md §9.3: EL_bank = PD × LGD × EAD × (1 − fund_share) while the fund is not exhausted."""
    rng = np.random.default_rng(4)
    n, scen = 400, 4000
    frame = pl.DataFrame(
        {
            "loan_id": [f"L{i}" for i in range(n)],
            "ead_cny": rng.uniform(1e4, 1e6, n),
            "pd": rng.uniform(0.01, 0.1, n),
            "lgd": rng.uniform(0.3, 0.6, n),
        }
    )
    s = spec(
        fund_cny=1e12,
        fund_loss_share=0.8,
        copula={"asset_correlation": 0.1, "weight_global": 1.0, "weight_county": 0.0, "weight_sector": 0.0},
    )
    res = simulate_fund(frame, s, n_scenarios=scen, seed=12)
    el = float((frame["pd"] * frame["lgd"] * frame["ead_cny"]).sum())
    bank = res.scenarios["bank_loss_cny"].to_numpy()
    assert bank.mean() == pytest.approx(el * 0.2, abs=4 * bank.std() / np.sqrt(scen))
    assert res.summary["fiscal_cost_per_yuan_credit"] == pytest.approx(
        res.summary["fund_expected_paid_cny"] / float(frame["ead_cny"].sum())
    )
