import polars as pl
import pytest

from greenfin.errors import DataError
from greenfin.lending import approved_loans, decide, get_product, lpr_on
from lending._helpers import AS_OF, apps, eco_right


def one(frame: pl.DataFrame, **kw) -> dict:
    return decide(frame, as_of=AS_OF, **kw).to_dicts()[0]


def codes(row: dict) -> set[str]:
    return set(filter(None, row["reason_codes"].split(";")))


def test_clean_application_is_approved_in_full() -> None:
    row = one(apps())
    assert row["outcome"] == "approve"
    assert row["approved_cny"] == 300_000.0
    assert row["outcome_zh"] == "批准"
    assert codes(row) == set()


def test_rate_is_lpr_plus_spread_components() -> None:
    row = one(apps())
    parts = row["lpr"] + row["funding_spread"] + row["expected_loss_spread"] + row["capital_spread"]
    assert row["risk_rate"] == pytest.approx(parts + row["operating_cost_spread"])
    # expected loss after fund sharing: PD × LGD × (1 − fund share)
    p = get_product("cainong-xindaitong-2022")
    assert row["expected_loss_spread"] == pytest.approx(0.01 * row["lgd"] * (1 - p.fund_loss_share))
    assert row["lpr"] == pytest.approx(lpr_on(AS_OF))


def test_cainong_rate_is_capped_at_lpr_plus_100bp() -> None:
    row = one(apps({"pd": 0.07}))
    assert row["rate_cap"] == pytest.approx(lpr_on(AS_OF) + 0.01)
    assert row["risk_rate"] > row["rate_cap"]
    assert row["rate"] == pytest.approx(row["rate_cap"])
    assert "RATE_CAPPED" in codes(row)


def test_risk_far_above_cap_is_declined() -> None:
    row = one(apps({"pd": 0.14, "collateral_value_cny": None}))
    assert row["risk_rate"] - row["rate_cap"] > 0.02
    assert row["outcome"] == "decline"
    assert "RISK_ABOVE_RATE_CAP" in codes(row)


def test_tenor_above_three_years_is_declined() -> None:
    row = one(apps({"tenor_months": 37}))
    assert row["outcome"] == "decline"
    assert "TENOR_ABOVE_PRODUCT_MAX" in codes(row)


def test_amount_above_cap_for_borrower_type_is_declined() -> None:
    cap = get_product("cainong-xindaitong-2022").limit_by_borrower_type_cny["family_farm"]
    row = one(apps({"amount_cny": cap + 1.0}))
    assert row["outcome"] == "decline"
    assert "AMOUNT_ABOVE_PRODUCT_CAP" in codes(row)
    assert "申请金额超过产品" in row["reasons_zh"]
    assert "amount above the product cap" in row["reasons_en"]


def test_ineligible_borrower_type_and_purpose() -> None:
    row = one(apps({"borrower_type": "agri_enterprise", "purpose": "eco_tourism"}))
    assert row["outcome"] == "decline"
    assert {"BORROWER_TYPE_NOT_ELIGIBLE", "PURPOSE_NOT_ELIGIBLE"} <= codes(row)


def test_under_age_is_declined() -> None:
    assert one(apps({"age_years": 17.0}))["outcome"] == "decline"


def test_no_consent_is_declined_and_strict_refuses() -> None:
    frame = apps({}, {"consent_credit_assessment": False})
    d = decide(frame, as_of=AS_OF)
    assert d["outcome"].to_list() == ["approve", "decline"]
    with pytest.raises(DataError, match=r"row 2: application 'A2' refused \(NO_CONSENT\).*Fix"):
        decide(frame, as_of=AS_OF, strict=True)


def test_cash_flow_without_consent_is_not_read() -> None:
    row = one(apps({"consent_cash_flow": False}))
    assert row["outcome"] == "refer"
    assert "CONSENT_MISSING_CASH_FLOW" in codes(row)
    assert row["repayment_capacity_cny"] is None or row["repayment_capacity_cny"] != row["repayment_capacity_cny"]
    # the value does not move the decision: any cash flow gives the same limit
    other = one(apps({"consent_cash_flow": False, "net_cash_flow_cny_per_year": 1.0}))
    assert other["limit_cny"] == row["limit_cny"]
    with pytest.raises(DataError, match="CONSENT_MISSING_CASH_FLOW"):
        decide(apps({"consent_cash_flow": False}), as_of=AS_OF, strict=True)


def test_withheld_consent_without_data_is_referred_not_refused() -> None:
    row = one(
        apps(
            {"consent_cash_flow": False, "net_cash_flow_cny_per_year": None, "existing_debt_service_cny_per_year": None}
        )
    )
    assert row["outcome"] == "refer"
    assert codes(row) == {"NO_CASH_FLOW"}


def test_human_review_request_refers() -> None:
    row = one(apps({"request_human_review": True}))
    assert row["outcome"] == "refer"
    assert "个人信息保护法第二十四条" in row["reasons_zh"]


def test_pd_bands() -> None:
    d = decide(apps(eco_right(pd=0.10), eco_right(pd=0.2), eco_right()), as_of=AS_OF)
    assert d["outcome"].to_list() == ["refer", "decline", "approve"]
    assert codes(d.row(0, named=True)) == {"PD_IN_REFER_BAND"}


def test_missing_score_refers() -> None:
    row = one(apps({"pd": None}))
    assert row["outcome"] == "refer"
    assert "NO_SCORE" in codes(row)


def test_collateral_capacity_binds_and_is_named() -> None:
    row = one(apps(eco_right(amount_cny=800_000.0)))
    assert row["collateral_capacity_cny"] == pytest.approx(500_000.0)
    assert row["limit_cny"] == pytest.approx(500_000.0)
    assert row["binding_constraint"] == "collateral"
    assert row["approved_cny"] == pytest.approx(500_000.0)
    assert "LIMIT_BELOW_REQUEST" in codes(row)


def test_repayment_capacity_binds_with_dscr_floor() -> None:
    row = one(apps({"net_cash_flow_cny_per_year": 50_000.0}))
    assert row["binding_constraint"] == "repayment"
    r = row["rate"] / 12
    expected = 50_000.0 / 1.25 / 12 * (1 - (1 + r) ** -24) / r
    assert row["repayment_capacity_cny"] == pytest.approx(expected)
    assert row["approved_cny"] == pytest.approx(expected)


def test_score_cap_binds_by_pd_band() -> None:
    row = one(apps({"pd": 0.07, "amount_cny": 1_500_000.0, "net_cash_flow_cny_per_year": 5e6}))
    assert row["score_cap_cny"] == pytest.approx(0.6 * 2_000_000.0)
    assert row["binding_constraint"] == "score"


def test_tenor_past_pledged_right_term() -> None:
    row = one(apps(eco_right(collateral_remaining_term_years=1.5, tenor_months=24)))
    assert row["outcome"] == "decline"
    assert "TENOR_PAST_RIGHT_TERM" in codes(row)
    with pytest.raises(DataError, match="TENOR_PAST_RIGHT_TERM"):
        decide(apps(eco_right(collateral_remaining_term_years=1.5)), as_of=AS_OF, strict=True)


def test_collateral_product_without_right_is_declined() -> None:
    row = one(apps({"product_id": "jinxi-shengtaitong"}))
    assert "COLLATERAL_REQUIRED" in codes(row)
    assert row["outcome"] == "decline"


def test_unaccepted_right_type_is_ignored() -> None:
    row = one(apps(eco_right(product_id="zixi-eco-rights-pledge", borrower_type="agri_enterprise")))
    assert {"RIGHT_TYPE_NOT_ACCEPTED", "COLLATERAL_REQUIRED"} <= codes(row)


def test_unknown_product_is_refused_with_row() -> None:
    with pytest.raises(DataError, match="column product_id, row 2: unknown product 'nope'"):
        decide(apps({}, {"product_id": "nope"}), as_of=AS_OF)


def test_eco_overlay_is_a_separate_line_floored_at_lpr() -> None:
    plain = one(apps({"pd": 0.03}))
    eco = one(apps({"pd": 0.03, "eco_points": 95.0, "eco_points_age_years": 0.0}))
    assert eco["risk_rate"] == pytest.approx(plain["risk_rate"])
    assert eco["eco_rate_discount"] == pytest.approx(0.005)
    assert eco["rate"] == pytest.approx(plain["rate"] - 0.005)
    assert eco["eco_limit_uplift_cny"] == pytest.approx(0.2 * plain["score_cap_cny"])
    assert "ECO_OVERLAY_APPLIED" in codes(eco)
    # old points decay: 95 points two half-lives ago count as 23.75
    old = one(apps({"pd": 0.03, "eco_points": 95.0, "eco_points_age_years": 4.0}))
    assert old["eco_rate_discount"] == 0.0
    # the discount never takes the rate below LPR
    cheap = one(apps({"pd": 0.0, "eco_points": 95.0}), lpr=0.03)
    assert cheap["rate"] >= 0.03 - 1e-12


def test_scores_table_overrides_and_reasons_pass_through() -> None:
    scores = pl.DataFrame(
        {
            "borrower_id": ["B00001"],
            "pd": [0.2],
            "points": [480.0],
            "grade": ["E"],
            "reason_1": ["past delinquencies"],
            "reason_2": [None],
        }
    )
    row = one(apps({"pd": 0.01}), scores=scores)
    assert row["pd"] == 0.2
    assert row["grade"] == "E"
    assert row["score_reasons"] == "past delinquencies"
    assert row["outcome"] == "decline"


def test_duplicate_scores_are_refused() -> None:
    scores = pl.DataFrame({"borrower_id": ["B00001", "B00001"], "pd": [0.1, 0.2]})
    with pytest.raises(DataError, match="appears twice"):
        decide(apps(), as_of=AS_OF, scores=scores)


def test_valuations_by_pledged_right_ids() -> None:
    frame = apps(
        eco_right(
            collateral_value_cny=None,
            collateral_haircut=None,
            collateral_remaining_term_years=None,
            amount_cny=900_000.0,
        )
    ).with_columns(pl.lit("R1; R2").alias("pledged_right_ids"))
    vals = pl.DataFrame(
        {
            "right_id": ["R1", "R2", "R3"],
            "value_cny": [600_000.0, 400_000.0, 9e9],
            "haircut": [0.5, 0.4, 0.0],
            "remaining_term_years": [20.0, 8.0, 1.0],
            "max_loan_cny": [250_000.0, None, None],
            "right_type": ["forest_right", "water_right", "forest_right"],
        }
    )
    row = one(frame, valuations=vals)
    assert row["n_rights"] == 2
    assert row["collateral_capacity_cny"] == pytest.approx(250_000.0 + 240_000.0)
    assert row["min_right_term_years"] == pytest.approx(8.0)


def test_valuations_by_borrower_id() -> None:
    vals = pl.DataFrame(
        {
            "right_id": ["R1"],
            "borrower_id": ["B00001"],
            "value_cny": [1e6],
            "haircut": [0.6],
            "remaining_term_years": [5.0],
            "right_type": ["land_management_right"],
        }
    )
    row = one(apps({"product_id": "jinxi-shengtaitong"}), valuations=vals)
    assert row["collateral_capacity_cny"] == pytest.approx(400_000.0)


def test_bad_valuation_table_names_column() -> None:
    vals = pl.DataFrame(
        {
            "right_id": ["R1"],
            "borrower_id": ["B00001"],
            "value_cny": [1e6],
            "haircut": [1.5],
            "remaining_term_years": [5.0],
        }
    )
    with pytest.raises(DataError, match="valuations, column haircut, row 1"):
        decide(apps(), as_of=AS_OF, valuations=vals)


def test_product_override_and_approved_schema() -> None:
    d = decide(apps({}, {"amount_cny": 50_000.0}), as_of=AS_OF, product="cainong-xindaitong-2022")
    loans = approved_loans(d)
    assert loans.columns[:11] == [
        "loan_id",
        "application_id",
        "borrower_id",
        "principal_cny",
        "rate",
        "tenor_months",
        "pd",
        "lgd",
        "product_id",
        "county_id",
        "sector",
    ]
    assert loans["loan_id"].to_list() == ["LA1", "LA2"]


def test_duplicate_application_ids_are_refused() -> None:
    with pytest.raises(DataError, match="appears twice"):
        decide(apps({"application_id": "X"}, {"application_id": "X"}), as_of=AS_OF)


def test_missing_required_column_names_the_fix() -> None:
    with pytest.raises(DataError, match="required column 'amount_cny' is missing"):
        decide(apps().drop("amount_cny"), as_of=AS_OF)


def test_bundled_sample_decides() -> None:
    from greenfin.datasets import load_sample

    d = decide(load_sample("county_applications"), as_of=AS_OF)
    assert d.height == 4000
    assert set(d["outcome"]) == {"approve", "decline", "refer"}
    ok = d.filter(pl.col("outcome") == "approve")
    assert (ok["approved_cny"] <= ok["limit_cny"] + 1e-6).all()


def test_guarantee_fee_is_added_to_the_all_in_rate() -> None:
    """资溪 case (m.jiancai.rexun.cn 2023-06-27): a 0.5% guarantee fee on top of the loan rate."""
    row = one(
        apps(
            {
                "product_id": "zixi-eco-rights-pledge",
                "borrower_type": "agri_enterprise",
                "age_years": None,
                "collateral_right_type": "eco_income_right",
                "collateral_value_cny": 5e6,
                "collateral_haircut": 0.85,
                "collateral_remaining_term_years": 20.0,
            }
        )
    )
    assert row["guarantee_fee_rate"] == pytest.approx(0.005)
    assert row["all_in_rate"] == pytest.approx(row["rate"] + 0.005)
    assert row["fund_loss_share"] == 0.0
