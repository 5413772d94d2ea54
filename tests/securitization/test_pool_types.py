"""Amortisation types, ABS and vector speeds, non-advancing recursion, loan-level = sum of lines."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from greenfin.securitization import (
    DefaultSpec,
    PoolAssumptions,
    PrepaySpec,
    cpr_to_smm,
    project_pool,
    scheduled_factor,
    smm_to_cpr,
)

NONE = DefaultSpec(kind="mdr", value=0.0)


def _a(prepay: PrepaySpec, default: DefaultSpec = NONE, **kw: object) -> PoolAssumptions:
    base: dict[str, object] = {"lag_months": 0, "severity": 0.0, "advancing": True}
    base.update(kw)
    return PoolAssumptions(prepay=prepay, default=default, **base)  # type: ignore[arg-type]


def _tape(kind: str, term: int = 24, wam: int | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "balance_cny": [1.2e6],
            "gross_rate": [0.06],
            "original_term_months": [term],
            "remaining_term_months": [wam or term],
            "amortisation": [kind],
        }
    )


def test_equal_principal_interest_only_and_seasonal_schedules() -> None:
    none = _a(PrepaySpec(kind="smm", value=0.0))
    ep = project_pool(_tape("equal_principal"), none)
    assert isinstance(ep, pl.DataFrame)
    np.testing.assert_allclose(ep["act_am_cny"], 1.2e6 / 24)  # 等额本金: equal principal every month
    io = project_pool(_tape("interest_only"), none)
    assert isinstance(io, pl.DataFrame)
    assert float(io["act_am_cny"][:-1].abs().max()) == 0.0
    assert float(io["act_am_cny"][-1]) == pytest.approx(1.2e6)  # balloon
    np.testing.assert_allclose(io["act_int_cny"], 1.2e6 * 0.06 / 12)
    weights = (0.0,) * 9 + (1.0, 1.0, 1.0)  # principal only in Oct-Dec (harvest)
    se = project_pool(
        _tape("seasonal"), _a(PrepaySpec(kind="smm", value=0.0), seasonal_weights=weights, first_payment_month=1)
    )
    assert isinstance(se, pl.DataFrame)
    am = se["act_am_cny"].to_numpy()
    assert np.all(am[[0, 1, 8, 12, 20]] == 0.0)
    assert am[9] == pytest.approx(1.2e6 / 6)
    assert am[23] == pytest.approx(1.2e6 / 6)


def test_abs_speed_formula_sf14() -> None:
    """ABS: SMM = ABS / (1 - ABS x (MONTH - 1)), MONTH = age after the month (SF-14)."""
    out = project_pool(_tape("level", term=60), _a(PrepaySpec(kind="abs", value=0.015)))
    assert isinstance(out, pl.DataFrame)
    f = scheduled_factor(np.arange(0, 4), np.full(4, 60), np.full(4, 0.06))
    perf = 1.2e6
    for month in (1, 2, 3):
        smm = 0.015 / (1 - 0.015 * (month - 1))
        q = f[month] / f[month - 1]
        assert out["vol_prepay_cny"][month - 1] == pytest.approx(perf * q * smm, rel=1e-12)
        perf = perf * q * (1 - smm)


def test_vector_speeds_and_conversions() -> None:
    vec = (0.01, 0.02, 0.03)
    out = project_pool(_tape("level", term=12), _a(PrepaySpec(kind="smm", vector=vec)))
    cpr = project_pool(_tape("level", term=12), _a(PrepaySpec(kind="cpr", vector=tuple(smm_to_cpr(np.array(vec))))))
    assert isinstance(out, pl.DataFrame)
    assert isinstance(cpr, pl.DataFrame)
    np.testing.assert_allclose(out["vol_prepay_cny"], cpr["vol_prepay_cny"], rtol=1e-12)
    assert float(cpr_to_smm(smm_to_cpr(0.0123))) == pytest.approx(0.0123, rel=1e-14)


def test_no_advancing_keeps_defaults_in_foreclosure() -> None:
    a = _a(
        PrepaySpec(kind="smm", value=0.0),
        DefaultSpec(kind="mdr", value=0.01),
        lag_months=3,
        severity=0.4,
        advancing=False,
    )
    out = project_pool(_tape("level", term=36), a)
    assert isinstance(out, pl.DataFrame)
    assert float(out["am_def_cny"].abs().max()) == 0.0
    nd = out["new_def_cny"].to_numpy()
    np.testing.assert_allclose(out["adb_cny"][3:], nd[:-3], rtol=1e-12)  # ADB = NEW_DEF(i - L), unscaled
    np.testing.assert_allclose(out["loss_cny"][3:], 0.4 * nd[:-3], rtol=1e-12)
    principal = out["act_am_cny"] + out["vol_prepay_cny"] + out["recov_cny"] + out["loss_cny"]
    assert float(principal.sum()) == pytest.approx(1.2e6, rel=1e-12)


def test_loan_level_equals_sum_of_single_loans() -> None:
    rng = np.random.default_rng(0)
    tape = pl.DataFrame(
        {
            "balance_cny": rng.uniform(1e4, 1e6, 20),
            "gross_rate": rng.uniform(0.03, 0.08, 20),
            "original_term_months": np.full(20, 60),
            "remaining_term_months": rng.integers(30, 61, 20),
        }
    )
    a = _a(PrepaySpec(kind="psa", value=200.0), DefaultSpec(kind="sda", value=300.0), lag_months=6, severity=0.3)
    pool = project_pool(tape, a)
    assert isinstance(pool, pl.DataFrame)
    total = np.zeros(pool.height)
    for i in range(20):
        one = project_pool(tape.slice(i, 1), a)
        assert isinstance(one, pl.DataFrame)
        total[: one.height] += one["cash_flow_cny"].to_numpy()
    np.testing.assert_allclose(pool["cash_flow_cny"], total, rtol=1e-12)
