"""score_record and the small-input branch of the scoring path give exactly what the polars path gives.

Up to ``SMALL_ROWS`` rows the shared scoring functions (bin lookup, consent, value texts, reasons,
counterfactuals, segment routing) use dict lookups and ``str`` formatting instead of polars queries, and
``score_record`` scores a validated record without building a frame at all. These tests compare both
against the polars branch, forced by moving ``SMALL_ROWS``: on random records (property test), on one
200-row frame with missing values, special values, unseen categories, text numbers and text consent, and
on bad input, where both must raise the same message.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from sklearn.exceptions import NotFittedError

from greenfin.errors import DataError
from greenfin.scoring import (
    BoostedPD,
    FeatureRegistry,
    FeatureSpec,
    RegistryEntry,
    Scorecard,
    SegmentedScorecard,
    WoEBinner,
    _frame,
    input_schema,
    save_model,
    score_frame,
    score_record,
)

pytestmark = pytest.mark.xdist_group("score_record")  # one worker fits the module's models once

KINDS = ("scorecard", "boosted", "segmented")
BANDS = {0: "none", 1: "one", 2: "two"}  # a categorical feature the scorecard selects


@contextmanager
def branch(name: str) -> Iterator[None]:
    """Force every input onto the ``polars`` branch or the ``python`` (small-input) branch."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_frame, "SMALL_ROWS", -1 if name == "polars" else 10**9)
        yield


@pytest.fixture(scope="module")
def data(county_xy: tuple[pl.DataFrame, np.ndarray]) -> tuple[pl.DataFrame, np.ndarray]:
    xf, y = county_xy
    band = pl.col("past_delinquencies").replace_strict(BANDS, default="many").alias("repayment_band")
    return xf.with_columns(band).drop("past_delinquencies"), y


@pytest.fixture(scope="module")
def models(data: tuple[pl.DataFrame, np.ndarray]) -> dict[str, Any]:
    xf, y = data
    template = Scorecard(binner=WoEBinner(features=(FeatureSpec(name="eco_points", special_values=(0.0,)),)))
    card = template.fit(xf.drop("borrower_type"), y)
    assert "repayment_band" in card.selected_, "a categorical feature in the card"
    assert card.binner_.bins_["annual_income_cny"].gated, "a consent-gated feature"
    # family farms recorded without a type: the missing segment gets its own card
    untyped = pl.when(pl.col("borrower_type") != "family_farm").then(pl.col("borrower_type"))
    seg = SegmentedScorecard(segment="borrower_type", min_segment_rows=400, scorecard=template)
    seg.fit(xf.with_columns(untyped.alias("borrower_type")), y)
    assert {"(missing)", "farmer"} <= set(seg.cards_), "segments with their own card, one of them missing"
    assert seg.segment_of_["eco_business"] == "(pooled)", "a segment scored by the pooled card"
    return {"scorecard": card, "boosted": BoostedPD(n_estimators=60).fit(xf, y), "segmented": seg}


def _kinds(model: Any) -> dict[str, str]:
    return {
        name: "numeric" if "float" in str(field.annotation) else "categorical" if "str" in str(field.annotation)
        else "consent"
        for name, field in input_schema(model).model_fields.items()
    }  # fmt: skip


def _value(kind: str) -> st.SearchStrategy[Any]:
    if kind == "consent":
        return st.booleans()
    if kind == "categorical":
        known = ("farmer", "family_farm", "cooperative", "eco_business", *BANDS.values(), "many")
        return st.none() | st.sampled_from(known) | st.sampled_from(("martian", "", "Farmer"))
    return (
        st.none()
        | st.integers(-5, 120)  # around the bin edges of counts and points, and the special value 0
        | st.floats(-1e3, 5e6, allow_nan=False)
        | st.sampled_from((0.0, 1.0, 23.0, 1e-7, 3e20, math.inf, -math.inf, math.nan))
    )


@st.composite
def records(draw: st.DrawFn, model: Any) -> dict[str, Any]:
    record = {name: draw(_value(kind)) for name, kind in _kinds(model).items()}
    record["borrower_id"] = "B1"  # an extra key: ignored
    return record


def _same(a: dict[str, Any], b: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    def equal(x: Any, y: Any) -> bool:
        if isinstance(x, float) and isinstance(y, float):
            return x == y or (math.isnan(x) and math.isnan(y))
        return bool(x == y) and type(x) is type(y)

    assert list(a) == list(b)
    return {k: (a[k], b[k]) for k in b if not equal(a[k], b[k])}


def _polars_row(model: Any, frame: pl.DataFrame) -> dict[str, Any]:
    with branch("polars"):
        return score_frame(model, frame).row(0, named=True)


def _check_record(model: Any, record: dict[str, Any]) -> None:
    categorical = [n for n, k in _kinds(model).items() if k == "categorical"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unseen categories score neutral, with a warning
        got = score_record(model, record)
        # the record's one-row frame, categories declared as text (an all-null column has no type)
        typed = pl.DataFrame([record], schema_overrides=dict.fromkeys(categorical, pl.String))
        assert not _same(got, _polars_row(model, typed))
        assert not _same(got, score_frame(model, typed).row(0, named=True))  # the frame path's small branch
        # the API route's frame; there a missing category makes an all-null column, which a booster's
        # reason shows as "NaN" (the value of a missing number) rather than "missing"
        if not isinstance(model, BoostedPD) or all(record[n] is not None for n in categorical):
            assert not _same(got, _polars_row(model, pl.DataFrame([record])))


@pytest.mark.parametrize("kind", KINDS)
def test_random_records_score_as_their_one_row_frame(models: dict[str, Any], kind: str) -> None:
    model = models[kind]

    @settings(max_examples=60, deadline=None)
    @given(record=records(model))
    def check(record: dict[str, Any]) -> None:
        _check_record(model, record)

    check()


@pytest.mark.parametrize("kind", KINDS)
def test_sample_records_score_as_their_one_row_frame(
    models: dict[str, Any], data: tuple[pl.DataFrame, np.ndarray], kind: str
) -> None:
    xf, _ = data
    for record in xf.head(25).iter_rows(named=True):
        _check_record(models[kind], record)


def _messy(xf: pl.DataFrame, n: int = 200) -> pl.DataFrame:
    """``n`` sample rows with missing numbers and categories, special values, unseen categories, no consent."""
    rng = np.random.default_rng(7)
    frame = xf.head(n)

    def every(k: int) -> pl.Series:
        return pl.Series(np.arange(n) % k == 0)

    return (
        frame.with_columns(
            pl.when(every(7)).then(None).otherwise(pl.col("eco_points")).alias("eco_points"),
            pl.when(every(11)).then(0).otherwise(pl.col("eco_points")).alias("eco_points_special"),
            pl.when(every(5)).then(None).otherwise(pl.col("repayment_band")).alias("repayment_band"),
            pl.when(every(13))
            .then(pl.lit("martian"))
            .when(every(17))
            .then(None)
            .otherwise(pl.col("borrower_type"))
            .alias("borrower_type"),
            pl.Series("consent_income", rng.random(n) < 0.7),
            pl.when(every(9)).then(None).otherwise(pl.col("annual_income_cny")).alias("annual_income_cny"),
        )
        .with_columns(pl.col("eco_points_special").alias("eco_points"))
        .drop("eco_points_special")
    )


def _both_branches(fn: Any) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with branch("polars"):
            a = fn()
        with branch("python"):
            b = fn()
    return a, b


@pytest.mark.parametrize("kind", KINDS)
def test_small_and_polars_branches_agree_on_200_rows(
    models: dict[str, Any], data: tuple[pl.DataFrame, np.ndarray], kind: str
) -> None:
    xf, _ = data
    model = models[kind]
    frame = _messy(xf)
    polars_out, python_out = _both_branches(lambda: model.explain(frame))
    assert polars_out.height == 200
    assert polars_out["reason_1_feature"].null_count() < 200
    assert polars_out["counterfactual_en"].null_count() < 200
    assert_frame_equal(python_out, polars_out)
    if kind == "segmented":  # each row's own card; an unknown segment takes the pooled card
        segment = frame["borrower_type"].fill_null("(missing)").to_list()
        assert python_out["card"].to_list() == [s if s in model.cards_ else "(pooled)" for s in segment]
        assert {"(missing)", "martian", "farmer"} <= set(segment)
    pts = _both_branches(lambda: model.predict_points(frame))
    np.testing.assert_array_equal(*pts)
    # numbers and consent flags sent as text, and a pandas frame (sklearn's path in, polars frame out)
    as_text = frame.with_columns(
        pl.col("eco_points").cast(pl.String),
        pl.col("consent_income").replace_strict({True: "Yes", False: "no"}, return_dtype=pl.String),
    )
    a, b = _both_branches(lambda: model.explain(as_text))
    assert_frame_equal(b, a)
    as_pandas = frame.head(30).select(model.feature_names_in_.tolist()).to_pandas()
    a, b = _both_branches(lambda: model.explain(as_pandas))
    assert_frame_equal(b, a)


def test_a_few_rows_of_a_large_frame_are_the_rows_of_the_large_frame(
    models: dict[str, Any], data: tuple[pl.DataFrame, np.ndarray]
) -> None:
    xf, _ = data
    frame = _messy(xf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for model in models.values():
            whole = model.explain(frame)  # 200 rows: the polars branch
            for start in (0, 13, 150):
                assert_frame_equal(model.explain(frame.slice(start, 10)), whole.slice(start, 10))


def test_a_bad_value_gets_the_same_message_on_both_branches(
    models: dict[str, Any], data: tuple[pl.DataFrame, np.ndarray]
) -> None:
    xf, _ = data
    frame = _messy(xf).with_columns(pl.col("eco_points").cast(pl.String))
    frame = frame.with_columns(
        pl.when(pl.int_range(200) == 150).then(pl.lit("lots")).otherwise("eco_points").alias("eco_points")
    )
    card = models["scorecard"]
    messages = []
    for name in ("polars", "python"):
        with branch(name), pytest.raises(DataError, match=r"column eco_points, row 151.*'lots' is not a number") as err:
            card.explain(frame)
        messages.append(str(err.value))
    assert messages[0] == messages[1]


def test_unseen_category_refused_with_the_frame_paths_message(data: tuple[pl.DataFrame, np.ndarray]) -> None:
    xf, y = data
    strict = Scorecard(binner=WoEBinner(handle_unknown="error")).fit(xf.drop("borrower_type"), y)
    record = {**xf.drop("borrower_type").row(0, named=True), "repayment_band": "martian"}
    with pytest.raises(DataError) as framed:
        _polars_row(strict, pl.DataFrame([record]))
    with pytest.raises(DataError) as recorded:
        score_record(strict, record)
    assert "not seen in fit" in str(recorded.value)
    assert str(recorded.value) == str(framed.value)


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"eco_points": "lots"}, "eco_points"),  # a number sent as text that is no number
        ({"repayment_band": 2}, "repayment_band"),  # a category sent as a number
        ({"consent_income": None}, "consent_income"),  # a consent flag must be given
        ({"annual_income_cny": [1, 2]}, "annual_income_cny"),
    ],
)
def test_bad_record_is_refused_naming_the_field(
    models: dict[str, Any], data: tuple[pl.DataFrame, np.ndarray], change: dict[str, Any], column: str
) -> None:
    xf, _ = data
    record = {**xf.drop("borrower_type").row(0, named=True), **change}
    with pytest.raises(DataError, match=column):
        score_record(models["scorecard"], record)


def test_missing_column_and_unfitted_model_are_refused(
    models: dict[str, Any], data: tuple[pl.DataFrame, np.ndarray]
) -> None:
    xf, _ = data
    record = xf.row(0, named=True)
    del record["eco_points"]
    for model in models.values():
        with pytest.raises(DataError, match="eco_points"):
            score_record(model, record)
    with pytest.raises(NotFittedError):
        score_record(Scorecard(), record)


def test_saved_model_directory_scores_the_same(
    models: dict[str, Any], data: tuple[pl.DataFrame, np.ndarray], tmp_path: Any
) -> None:
    xf, _ = data
    record = xf.row(3, named=True)
    for kind, model in models.items():
        path = save_model(model, tmp_path / kind)
        assert score_record(path, record) == score_record(model, record)
        assert score_record(str(path), record) == score_frame(path, pl.DataFrame([record])).row(0, named=True)


def test_registry_lookup_keeps_first_entry_wins() -> None:
    def entry(name: str, aliases: tuple[str, ...], label: str) -> RegistryEntry:
        return RegistryEntry(
            name=name, aliases=aliases, feature_class="allowed", basis="test", label_en=label, label_zh=label
        )

    reg = FeatureRegistry(
        id="t",
        version="1",
        title="t",
        unregistered="allowed",
        entries=(entry("Income", ("revenue",), "first"), entry("revenue", ("INCOME",), "second")),
    )
    assert reg.labels(" income ") == ("first", "first")
    assert reg.labels("REVENUE") == ("first", "first")  # alias of the first entry before name of the second
    assert reg.lookup("turnover") is None
    assert reg == FeatureRegistry.model_validate(reg.model_dump())


def test_category_given_as_numbers_or_an_all_null_column(
    models: dict[str, Any], data: tuple[pl.DataFrame, np.ndarray]
) -> None:
    xf, _ = data
    card = models["scorecard"]
    record = xf.drop("borrower_type").row(0, named=True)
    null_column = pl.DataFrame([{**record, "repayment_band": None}])  # dtype Null, read as NaN numbers
    numbers = pl.DataFrame({**record, "repayment_band": [1.0]})
    assert null_column.schema["repayment_band"] == pl.Null
    for name in ("polars", "python"):
        with branch(name):
            assert score_frame(card, null_column).row(0, named=True) == score_record(
                card, {**record, "repayment_band": None}
            )  # missing
            with pytest.warns(UserWarning, match=r"'repayment_band'.*not seen in fit"):
                assert score_frame(card, numbers).row(0, named=True) == score_record(
                    card, {**record, "repayment_band": "1.0"}
                )  # the number's text: an unseen category
