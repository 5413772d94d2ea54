import datetime as dt
import json

import pytest

from greenfin import evolve
from greenfin.errors import SpecError
from greenfin.lending import LprTable, ProductSpec, get_product, list_products, load_products, lpr_on
from greenfin.lending._products import _TERM_FIELDS


def test_catalogue_ships_the_three_reference_products() -> None:
    assert list_products() == ("cainong-xindaitong-2022", "jinxi-shengtaitong", "zixi-eco-rights-pledge")


def test_every_term_has_a_source_and_mark() -> None:
    for p in load_products():
        assert set(_TERM_FIELDS) <= set(p.sources)
        frame = p.terms_frame()
        assert frame.height == len(_TERM_FIELDS)
        assert set(frame["mark"]) <= {"✔", "≈", "⚠"}


def test_cainong_terms_match_the_2022_rules() -> None:
    """assessment.md §9.1: ≤ 3 years, ≤ LPR + 100 bp, no collateral; fund loss split unconfirmed."""
    p = get_product("cainong-xindaitong-2022")
    assert p.max_tenor_months == 36
    assert p.rate_cap_spread_over_lpr == pytest.approx(0.01)
    assert p.required_collateral == "none"
    assert set(p.borrower_types) == {"large_grower", "family_farm", "cooperative"}
    assert p.sources["max_tenor_months"].confidence == "confirmed"
    assert p.sources["rate_cap_spread_over_lpr"].confidence == "confirmed"
    assert "fund_loss_share" in p.unverified_terms()


def test_jinxi_shares_loss_20_80() -> None:
    p = get_product("jinxi-shengtaitong")
    assert p.fund_loss_share == pytest.approx(0.8)
    assert p.limit_by_borrower_type_cny["agri_enterprise"] == 5_000_000.0
    assert p.sources["fund_loss_share"].confidence == "confirmed"


def test_zixi_needs_an_eco_rights_certificate() -> None:
    p = get_product("zixi-eco-rights-pledge")
    assert p.required_collateral == "eco_rights_certificate"
    assert p.accepted_right_types == ("eco_income_right",)
    assert p.guarantee_fee_rate == pytest.approx(0.005)


def test_unknown_product_lists_the_known_ids() -> None:
    with pytest.raises(SpecError, match=r"Unknown product 'nope'.*cainong-xindaitong-2022"):
        get_product("nope")


def test_product_spec_round_trips_through_json() -> None:
    for p in load_products():
        assert ProductSpec.model_validate_json(p.model_dump_json()) == p


def test_product_without_a_source_is_refused() -> None:
    p = get_product("cainong-xindaitong-2022")
    sources = {k: v for k, v in p.sources.items() if k != "max_tenor_months"}
    with pytest.raises(SpecError, match="sources lacks an entry"):
        evolve(p, sources=sources)


def test_product_needing_collateral_must_accept_some_right() -> None:
    with pytest.raises(SpecError, match="accepted_right_types"):
        evolve(get_product("jinxi-shengtaitong"), accepted_right_types=())


def test_catalogue_file_errors(tmp_path) -> None:
    with pytest.raises(SpecError, match="does not exist"):
        load_products(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "x", "version": "1", "products": [{"id": "p"}]}))
    with pytest.raises(SpecError, match="Fix the field"):
        load_products(bad)


def test_lpr_is_dated_data() -> None:
    assert lpr_on("2025-05-19") == pytest.approx(0.031)
    assert lpr_on("2025-05-20") == pytest.approx(0.030)
    assert lpr_on(dt.date(2024, 8, 1), "5y") == pytest.approx(0.0385)
    table = LprTable.bundled()
    assert table.confidence == "unverified"
    with pytest.raises(SpecError, match="starts"):
        lpr_on("2020-01-01")
    with pytest.raises(SpecError, match="past the LPR table"):
        lpr_on(table.assumed_unchanged_through + dt.timedelta(days=1))
