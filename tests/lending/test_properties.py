import datetime as dt

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenfin.lending import amortisation_schedule, decide, loan_schedules
from greenfin.lending._schedule import _allocate_rows
from greenfin.money import allocate_fen
from lending._helpers import AS_OF, apps

PRODUCTS = ["cainong-xindaitong-2022", "jinxi-shengtaitong", "zixi-eco-rights-pledge"]
TYPES = ["farm_household", "large_grower", "family_farm", "cooperative", "agri_enterprise"]
RIGHTS = ["forest_right", "land_management_right", "eco_income_right", "water_right"]

application = st.fixed_dictionaries(
    {
        "product_id": st.sampled_from(PRODUCTS),
        "borrower_type": st.sampled_from(TYPES),
        "amount_cny": st.floats(1_000.0, 6_000_000.0),
        "tenor_months": st.integers(1, 48),
        "pd": st.one_of(st.none(), st.floats(0.0, 0.5)),
        "consent_cash_flow": st.booleans(),
        "net_cash_flow_cny_per_year": st.one_of(st.none(), st.floats(-1e5, 5e6)),
        "existing_debt_service_cny_per_year": st.floats(0.0, 1e6),
        "eco_points": st.one_of(st.none(), st.floats(0.0, 100.0)),
        "collateral_right_type": st.sampled_from(RIGHTS),
        "collateral_value_cny": st.one_of(st.none(), st.floats(0.0, 1e7)),
        "collateral_haircut": st.floats(0.0, 1.0),
        "collateral_remaining_term_years": st.floats(0.0, 50.0),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(application, min_size=1, max_size=12))
def test_limit_never_exceeds_any_bound_and_rate_never_above_cap(rows: list[dict]) -> None:
    d = decide(apps(*rows), as_of=AS_OF)
    tol = 1e-6
    for bound in ("policy_cap_cny", "collateral_capacity_cny", "repayment_capacity_cny", "score_cap_cny"):
        b = d[bound].fill_nan(None)
        ok = (d["limit_cny"] <= b + tol) | b.is_null()
        assert ok.all(), bound
    assert (d["approved_cny"] <= d["limit_cny"] + tol).all()
    assert (d["approved_cny"] <= d["requested_cny"] + tol).all()
    assert (d["rate"] <= d["rate_cap"] + 1e-12).all()
    assert (d["eco_rate_discount"] >= 0).all()
    approved = d.filter(pl.col("outcome") == "approve")
    assert (approved["approved_cny"] > 0).all()
    declined = d.filter(pl.col("outcome") != "approve")
    assert (declined["approved_cny"] == 0).all()


@settings(max_examples=200, deadline=None)
@given(
    principal=st.floats(0.01, 5e7),
    rate=st.floats(0.0, 0.3),
    months=st.integers(1, 120),
    method=st.sampled_from(["annuity", "equal_principal", "interest_only", "seasonal"]),
    start=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
)
def test_schedule_repays_principal_exactly_to_the_fen(
    principal: float, rate: float, months: int, method: str, start: dt.date
) -> None:
    s = amortisation_schedule(principal, rate, months, method=method, crop="tea", start=start)  # type: ignore[arg-type]
    fen = int(np.floor(round(principal * 100, 6) + 0.5))
    assert int(s["principal_fen"].sum()) == fen
    assert int(s["closing_fen"][-1]) == 0
    assert (s["principal_fen"] >= 0).all()
    assert (s["interest_fen"] >= 0).all()
    assert (s["payment_fen"] == s["interest_fen"] + s["principal_fen"]).all()
    assert (s["opening_fen"][1:] == s["closing_fen"][:-1]).all()


@settings(max_examples=100, deadline=None)
@given(
    totals=st.lists(st.integers(0, 10**12), min_size=1, max_size=5),
    weights=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=30).filter(lambda w: sum(w) > 0),
)
def test_vectorised_allocation_equals_money_allocate_fen(totals: list[int], weights: list[float]) -> None:
    rows = _allocate_rows(np.asarray(totals, dtype=np.int64), np.asarray(weights))
    for total, row in zip(totals, rows, strict=True):
        assert row.tolist() == allocate_fen(total, weights).tolist()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(1.0, 1e6), st.floats(0.0, 0.2), st.integers(1, 36)), min_size=1, max_size=8))
def test_book_schedules_repay_every_loan(loans: list[tuple[float, float, int]]) -> None:
    frame = pl.DataFrame(
        {
            "loan_id": [f"L{i}" for i in range(len(loans))],
            "principal_cny": [x[0] for x in loans],
            "rate": [x[1] for x in loans],
            "tenor_months": [x[2] for x in loans],
        }
    )
    s = loan_schedules(frame, start=AS_OF, method="equal_principal")
    per_loan = s.group_by("loan_id").agg(pl.col("principal_fen").sum()).sort("loan_id")
    expected = frame.sort("loan_id").select(
        (pl.col("principal_cny") * 100).round(6).map_elements(lambda x: int(np.floor(x + 0.5)), return_dtype=pl.Int64)
    )
    assert per_loan["principal_fen"].to_list() == expected["principal_cny"].to_list()
