"""Reference tests: the SF chapter's worked default cash-flow tables, to the printed precision.

Source: The Bond Market Association, *Uniform Practices / Standard Formulas*, chapter SF (02/01/99),
section C.3 "Standard formulas for mortgage cash flows with defaults" (SF-18/19) and its two worked
360-month tables for a new 30-year 8 % pool of 100,000,000 with a 12-month liquidation lag, 20 %
severity and P&I advanced: cash flow A at constant 1 % SMM and 1 % MDR (SF-23 to SF-30), cash flow B at
150 % PSA and 100 % SDA (SF-31 to SF-38).
The tables print whole currency units (tolerance half a unit per cell) and the amortisation factor to 4
decimals. Only a handful of published cells are used here as facts; the tables are not vendored.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from greenfin.securitization import (
    DefaultSpec,
    PoolAssumptions,
    PrepaySpec,
    project_pool,
    psa_cpr,
    scheduled_factor,
    sda_cdr,
)

TAPE = pl.DataFrame(
    {"balance_cny": [100e6], "gross_rate": [0.08], "original_term_months": [360], "remaining_term_months": [360]}
)
COLS = (
    "perf_bal_cny",
    "new_def_cny",
    "fcl_cny",
    "sched_factor",
    "exp_am_cny",
    "vol_prepay_cny",
    "am_def_cny",
    "act_am_cny",
    "exp_int_cny",
    "int_lost_cny",
    "act_int_cny",
    "recov_cny",
    "loss_cny",
    "adb_cny",
)


def _run(prepay: PrepaySpec, default: DefaultSpec) -> pl.DataFrame:
    a = PoolAssumptions(prepay=prepay, default=default, lag_months=12, severity=0.2, advancing=True)
    out = project_pool(TAPE, a)
    assert isinstance(out, pl.DataFrame)
    return out


def _check_row(out: pl.DataFrame, month: int, printed: tuple[float | None, ...]) -> None:
    row = out.filter(pl.col("month") == month).row(0, named=True)
    for col, value in zip(COLS, printed, strict=True):
        if value is None:
            continue
        tol = 0.5e-4 if col == "sched_factor" else 0.5
        assert row[col] == pytest.approx(value, abs=tol + 1e-9), (month, col, row[col], value)


# month: perf, new def, fcl, amort factor, exp am, vol prepay, am def, act am, exp int, lost, act int,
# recov, loss, adb (the order of COLS)
TABLE_A = {
    1: (97934244, 1000000, 999329, 0.9993, 67098, 999329, 671, 66427, 666667, 6667, 660000, 0, 0, 0),
    13: (76203943, 778161, 10453093, 0.9909, 64118, 777591, 7666, 56453, 589936, 76349, 513587, 791646, 200000, 991646),
    120: (7766959, 79388, 1065414, 0.8772, 15029, 79255, 1797, 13233, 60185, 7789, 52396, 80543, 20625, 101168),
    348: (7461, 82, 1023, 0.0844, 683, 76, 82, 601, 62, 8, 54, 66, 39, 105),
    349: (6793, 0, 854, 0.0776, 674, 69, 75, 599, 57, 7, 50, 59, 37, 95),
    359: (577, 0, 7, 0.0073, 586, 6, 7, 579, 8, 0, 8, 0, 13, 13),
    360: (0, 0, 0, 0, 577, 0, 0, 577, 4, 0, 4, 0, 7, 7),
}

TABLE_B = {
    1: (99906219, 1667, 1666, 0.9993, 67098, 25018, 1, 67097, 666667, 11, 666656, 0, 0, 0),
    13: (96685496, 21063, 147113, 0.9909, 71246, 321121, 108, 71138, 648178, 992, 647185, 1320, 333, 1653),
    30: (86051329, 43543, 441856, 0.9778, 72531, 679304, 368, 72163, 581822, 3136, 578685, 22515, 5696, 28212),
    61: (64488603, 32121, 409329, 0.9497, 68848, 509080, 431, 68417, 436746, 2972, 433774, 28781, 7304, 36085),
    133: (32541899, 822, 10281, 0.8571, 61743, 256768, 19, 61723, 219144, 75, 219069, 719, 185, 903),
    349: (536461, 0, 156, 0.0776, 47236, 4233, 14, 47223, 3921, 1, 3919, 10, 6, 16),
    360: (0, 0, 0, 0, 46596, 0, 0, 46596, 311, 0, 311, 0, 1, 1),
}


@pytest.mark.reference
@pytest.mark.parametrize("month", sorted(TABLE_A))
def test_sf_table_a_constant_smm_mdr(month: int) -> None:
    """SF cash flow A, SF-23 to SF-30 (1 % SMM, 1 % MDR, 12-month lag, 20 % severity, advancing): cells +/- 0.5."""
    _check_row(_run(PrepaySpec(kind="smm", value=0.01), DefaultSpec(kind="mdr", value=0.01)), month, TABLE_A[month])


@pytest.mark.reference
@pytest.mark.parametrize("month", sorted(TABLE_B))
def test_sf_table_b_psa_sda(month: int) -> None:
    """SF cash flow B, SF-31 to SF-38 (150 % PSA, 100 % SDA, 12-month lag, 20 % severity, advancing): +/- 0.5."""
    _check_row(_run(PrepaySpec(kind="psa", value=150.0), DefaultSpec(kind="sda", value=100.0)), month, TABLE_B[month])


@pytest.mark.reference
@pytest.mark.parametrize(
    ("prepay", "default", "totals"),
    [
        (
            PrepaySpec(kind="smm", value=0.01),
            DefaultSpec(kind="mdr", value=0.01),
            (47576640, 5510477, 47527662, 614780, 4895697, 37446547, 9515314, 46961860),
        ),
        (
            PrepaySpec(kind="psa", value=150.0),
            DefaultSpec(kind="sda", value=100.0),
            (2776019, 21208767, 76052023, 36809, 21171958, 2184008, 555201, 2739209),
        ),
    ],
)
def test_sf_table_totals(prepay: PrepaySpec, default: DefaultSpec, totals: tuple[int, ...]) -> None:
    """SF cash flows A (SF-30) and B (SF-38), 'Total' row: new defaults, exp. amortisation, prepayments,
    amort. from defaults, actual amortisation, recoveries, losses, ADB (whole units, +/- 0.5)."""
    out = _run(prepay, default)
    cols = (
        "new_def_cny",
        "exp_am_cny",
        "vol_prepay_cny",
        "am_def_cny",
        "act_am_cny",
        "recov_cny",
        "loss_cny",
        "adb_cny",
    )
    for col, value in zip(cols, totals, strict=True):
        assert float(out[col].sum()) == pytest.approx(value, abs=0.5), col


def test_sf_identities_every_month() -> None:
    """ADB = recovery + loss; under advancing ACT_AM = EXP_AM - AM_DEF; principal is conserved."""
    out = _run(PrepaySpec(kind="psa", value=150.0), DefaultSpec(kind="sda", value=100.0))
    np.testing.assert_allclose(out["adb_cny"], out["recov_cny"] + out["loss_cny"], atol=1e-6)
    np.testing.assert_allclose(out["act_am_cny"], out["exp_am_cny"] - out["am_def_cny"], atol=1e-6)
    principal = out["act_am_cny"] + out["am_def_cny"] + out["vol_prepay_cny"] + out["recov_cny"] + out["loss_cny"]
    assert float(principal.sum()) == pytest.approx(100e6, rel=1e-12)
    # zero-default tail: no new defaults in the last L = 12 months
    assert float(out.filter(pl.col("month") > 348)["new_def_cny"].abs().max()) == 0.0


@pytest.mark.reference
def test_psa_and_sda_curves() -> None:
    """PSA: 0.2 % CPR per month to 6 % at month 30; SDA: 0.02 %/month to 0.6 % at 30, flat to 60, down
    0.0095 %/month to 0.03 % at 120 (SF section B.2 and C.2 definitions)."""
    assert psa_cpr(np.array([1, 10, 30, 31, 360]), 100.0).tolist() == pytest.approx([0.002, 0.02, 0.06, 0.06, 0.06])
    assert psa_cpr(np.array([30]), 200.0)[0] == pytest.approx(0.12)
    assert sda_cdr(np.array([1, 30, 60, 61, 120, 121]), 100.0).tolist() == pytest.approx(
        [0.0002, 0.006, 0.006, 0.005905, 0.0003, 0.0003]
    )


def test_age_comes_from_wam() -> None:
    """A seasoned pool (WAM < M0) is projected at its WAM-derived age: 100 PSA on a 30-month-old pool is 6 % CPR."""
    tape = TAPE.with_columns(pl.lit(330).alias("remaining_term_months"))
    a = PoolAssumptions(
        prepay=PrepaySpec(kind="psa", value=100.0),
        default=DefaultSpec(kind="mdr", value=0.0),
        lag_months=0,
        severity=0.0,
        advancing=True,
    )
    out = project_pool(tape, a)
    assert isinstance(out, pl.DataFrame)
    first = out.row(0, named=True)
    # SMM at age 31 = 1 - 0.94^(1/12) on the balance after scheduled amortisation
    smm = 1 - 0.94 ** (1 / 12)
    sched = 100e6 - first["exp_am_cny"]
    assert first["vol_prepay_cny"] == pytest.approx(sched * smm, rel=1e-12)


SF20 = {  # (PSA %, SDA %): cumulative defaults in % of the original balance, printed to 2 decimals
    (100, 50): 1.56,
    (100, 300): 8.97,
    (150, 100): 2.78,
    (200, 150): 3.74,
    (300, 200): 4.11,
    (500, 300): 4.35,
}


@pytest.mark.reference
@pytest.mark.parametrize(("speeds", "printed"), sorted(SF20.items()))
def test_sf20_cumulative_default_matrix(speeds: tuple[int, int], printed: float) -> None:
    """SF-20 cumulative-default matrix (new 8 % 30-year pool, 12-month lag, 20 % severity, advancing):
    sum of new defaults / original balance, printed in % to 2 decimals (tolerance 0.005 points)."""
    psa, sda = speeds
    out = _run(PrepaySpec(kind="psa", value=float(psa)), DefaultSpec(kind="sda", value=float(sda)))
    assert float(out["new_def_cny"].sum()) / 1e6 == pytest.approx(printed, abs=0.005 + 1e-9)


SF10 = {(1, 100): 0.02, (30, 100): 0.51, (15, 300): 0.78, (24, 500): 2.26, (30, 950): 6.79, (12, 50): 0.10}


@pytest.mark.reference
@pytest.mark.parametrize(("cell", "printed"), sorted(SF10.items()))
def test_sf10_one_month_psa_to_smm(cell: tuple[int, int], printed: float) -> None:
    """SF-10 table: one-month PSA -> SMM (%) by loan age, printed to 2 decimals (tolerance 0.005 points)."""
    from greenfin.securitization import cpr_to_smm

    month, psa = cell
    smm = float(cpr_to_smm(psa_cpr(np.array([month]), float(psa)))[0])
    assert smm * 100 == pytest.approx(printed, abs=0.005 + 1e-9)


SF15 = {(1, 1.00): 1.00, (12, 0.50): 0.53, (25, 1.50): 2.34, (36, 1.75): 4.52, (48, 2.00): 33.33, (50, 2.00): 100.0}


@pytest.mark.reference
@pytest.mark.parametrize(("cell", "printed"), sorted(SF15.items()))
def test_sf15_abs_to_smm(cell: tuple[int, float], printed: float) -> None:
    """SF-14/15 table: ABS speed -> SMM (%) by month, SMM = ABS / (1 - ABS (MONTH - 1)), capped at 100 %;
    printed to 2 decimals (tolerance 0.005 points)."""
    from greenfin.securitization._pool import _speed_table

    month, abs_pct = cell
    smm = float(_speed_table("abs", abs_pct / 100.0, 60)[month])
    assert smm * 100 == pytest.approx(printed, abs=0.005 + 1e-9)


@pytest.mark.reference
def test_sf4_single_month_pass_through() -> None:
    """SF-4 example: 9.5 % gross / 9.0 % net, 360 months, first month, prepayments 0.00025022 per unit face:
    scheduled amortisation 0.00049188, gross interest 0.00791667, servicing 0.00041667, pass-through principal
    0.00074210, interest 0.00750000, cash flow 0.00824210 (printed to 8 decimals)."""
    sched_am = 1.0 - float(scheduled_factor(np.array([1]), np.array([360]), np.array([0.095]))[0])
    smm = 0.00025022 / (1.0 - sched_am)  # prepayment is taken on the balance after scheduled amortisation
    tape = pl.DataFrame(
        {
            "balance_cny": [1.0],
            "gross_rate": [0.095],
            "net_rate": [0.09],
            "original_term_months": [360],
            "remaining_term_months": [360],
        }
    )
    a = PoolAssumptions(
        prepay=PrepaySpec(kind="smm", value=smm),
        default=DefaultSpec(kind="mdr", value=0.0),
        lag_months=0,
        severity=0.0,
        advancing=True,
    )
    out = project_pool(tape, a)
    assert isinstance(out, pl.DataFrame)
    row = out.row(0, named=True)
    tol = 0.5e-8
    assert row["act_am_cny"] == pytest.approx(0.00049188, abs=tol)
    assert row["vol_prepay_cny"] == pytest.approx(0.00025022, abs=1e-12)
    assert row["exp_int_cny"] + row["servicing_cny"] == pytest.approx(0.00791667, abs=tol)
    assert row["servicing_cny"] == pytest.approx(0.00041667, abs=tol)
    assert row["act_am_cny"] + row["vol_prepay_cny"] == pytest.approx(0.00074210, abs=tol)
    assert row["exp_int_cny"] == pytest.approx(0.00750000, abs=tol)
    assert row["cash_flow_cny"] == pytest.approx(0.00824210, abs=tol)


@pytest.mark.reference
def test_sf7_speed_from_two_factors() -> None:
    """SF-7/8 example: GNMA I 9 % (9.5 % gross), F1 = 0.85150625, F2 = 0.84732282, BAL1 = BAL(344) and
    BAL2 = BAL(343) of 359 months: F_sched 0.85102709, SMM 0.435270 %, CPR 5.1000 %, MONTH 17 -> 150.00 % PSA."""
    from greenfin.securitization import prepayment_from_factors

    r = prepayment_from_factors(
        0.85150625, 0.84732282, gross_rate=0.095, original_term_months=359, remaining_term_months=344, month=17
    )
    assert r["scheduled_factor"] == pytest.approx(0.85102709, abs=0.5e-8)
    assert r["smm"] * 100 == pytest.approx(0.435270, abs=0.5e-6)
    assert r["cpr"] * 100 == pytest.approx(5.1000, abs=0.5e-4)
    assert r["psa"] == pytest.approx(150.00, abs=0.005)


@pytest.mark.reference
def test_sf14_abs_example() -> None:
    """SF-14 example: 2 % ABS in month 11 -> SMM = 200 / (100 - 2 x 10) = 2.5000 %."""
    from greenfin.securitization._pool import _speed_table

    assert float(_speed_table("abs", 0.02, 20)[11]) * 100 == pytest.approx(2.5, abs=0.5e-4)
