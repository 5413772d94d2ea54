from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from greenfin.errors import SpecError
from greenfin.scoring import BoostedPD, FeatureRegistry, Scorecard, WoEBinner, default_registry


@pytest.mark.parametrize("column", ["personal_status_and_sex", "age_in_years", "foreign_worker"])
def test_audit_only_columns_are_refused(german_xy, german, column):
    xf, y = german_xy
    with pytest.raises(SpecError, match="audit-only"):
        Scorecard(binner=WoEBinner(assume_consent=True)).fit(xf.with_columns(german[column]), y)
    with pytest.raises(SpecError, match="audit-only"):
        BoostedPD(assume_consent=True).fit(xf.with_columns(german[column]), y)


def test_forbidden_column_is_refused_with_rule_and_remedy():
    xf = pl.DataFrame({"x": np.arange(100.0), "religion": ["a", "b"] * 50})
    y = np.arange(100) % 2
    with pytest.raises(SpecError, match=r"religion.*forbidden.*征信业管理条例 Art\. 14.*Drop the column"):
        WoEBinner().fit(xf, y)


def test_consent_gated_without_consent_metadata_is_refused(german_xy):
    xf, y = german_xy
    with pytest.raises(SpecError, match=r"consent-gated.*consent_financial_account"):
        WoEBinner().fit(xf, y)


def test_consent_gating_is_neutral_for_rows_without_consent(county_xy):
    xf, y = county_xy
    card = Scorecard(min_iv=0.0).fit(xf, y)
    assert "annual_income_cny" in card.selected_
    no = xf.filter(~pl.col("consent_income"))
    assert no.height > 0
    idx = card.binner_._indices(__import__("greenfin.scoring._frame", fromlist=["x"]).ingest(card, no, reset=False))
    bins = card.binner_.bins_["annual_income_cny"]
    assert np.all(idx["annual_income_cny"] == bins.k + len(bins.special_values) + 2)
    assert np.all(card.bin_points_["annual_income_cny"][idx["annual_income_cny"]] == 0.0)
    # a withholder's score does not depend on the (unread) income value, nor on it being present
    filled = no.with_columns(pl.lit(1e9).alias("annual_income_cny"))
    np.testing.assert_array_equal(card.predict_points(no), card.predict_points(filled))
    # the consent flag itself is metadata, never a feature
    assert "consent_income" not in card.binner_.features_
    assert card.manifest_["feature_classes"]["consent_income"] == "consent_metadata"


def test_registry_is_data_citing_pipl_and_credit_regulation():
    reg = default_registry()
    classes = {e.feature_class for e in reg.entries}
    assert classes == {"forbidden", "consent_gated", "audit_only", "allowed"}
    bases = " ".join(e.basis for e in reg.entries)
    assert "PIPL" in bases
    assert "征信业管理条例" in bases
    for e in reg.entries:
        if e.feature_class == "consent_gated":
            assert e.consent_kind
    assert FeatureRegistry.model_validate(reg.model_dump()) == reg


def test_strict_registry_refuses_unregistered_columns():
    reg = default_registry().model_copy(update={"unregistered": "error"})
    xf = pl.DataFrame({"mystery": np.arange(50.0)})
    with pytest.raises(SpecError, match="not in feature registry"):
        WoEBinner(registry=reg).fit(xf, np.arange(50) % 2)
