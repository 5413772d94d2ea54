"""Model artefacts as data: JSON (and LightGBM text), a manifest with content hashes, a model card.

No pickle anywhere: a saved model is ``model.json`` (+ ``booster.txt`` for :class:`BoostedPD`),
``manifest.json`` (the fit's traceability record, the save record and the SHA-256 of every model file)
and ``model_card.md`` (JR/T 0287—2023 disclosure areas). :func:`load_model` recomputes the hashes and
refuses a file that does not match.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from sklearn.utils.validation import check_is_fitted

from greenfin._typing import PathLikeStr
from greenfin.errors import DataError, GreenfinError, SpecError
from greenfin.scoring._binning import FeatureSpec, WoEBinner, binner_from_state, binner_state
from greenfin.scoring._boosted import BoostedPD
from greenfin.scoring._frame import ingest_record
from greenfin.scoring._governance import FeatureRegistry
from greenfin.scoring._manifest import jsonable, now_utc
from greenfin.scoring._reasons import first_row
from greenfin.scoring._scale import MasterScale
from greenfin.scoring._scorecard import Scorecard
from greenfin.scoring._segmented import SegmentedScorecard

__all__ = ["input_schema", "load_model", "save_model", "score_frame", "score_record"]

FORMAT = "greenfin-scoring-model"
FORMAT_VERSION = 1

Model = Scorecard | BoostedPD | SegmentedScorecard


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _classes(est: Any) -> dict[str, Any]:
    return {"values": [jsonable(c) for c in est.classes_.tolist()], "bad_index": int(est.bad_index_)}


def _restore_common(est: Any, state: dict[str, Any]) -> None:
    est.classes_ = np.asarray(state["classes"]["values"])
    est.bad_index_ = int(state["classes"]["bad_index"])
    if state.get("feature_names_in") is not None:
        est.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
    est.n_features_in_ = int(state["n_features_in"])
    est.manifest_ = state["manifest"]


def _names(est: Any) -> list[str] | None:
    return [str(n) for n in est.feature_names_in_] if hasattr(est, "feature_names_in_") else None


def _card_state(card: Scorecard) -> dict[str, Any]:
    params = card.get_params(deep=False)
    return {
        "params": {
            **{k: jsonable(v) for k, v in params.items() if k not in ("binner", "master_scale")},
            "binner": None if card.binner is None else binner_state_params(card.binner),
            "master_scale": None if card.master_scale is None else card.master_scale.model_dump(mode="json"),
        },
        "classes": _classes(card),
        "feature_names_in": _names(card),
        "n_features_in": int(card.n_features_in_),
        "binner": binner_state(card.binner_),
        "selected": list(card.selected_),
        "coef": [float(c) for c in card.coef_],
        "intercept": float(card.intercept_),
        "factor": card.factor_,
        "offset": card.offset_,
        "base_points": card.base_points_,
        "bin_points": {f: [float(v) for v in p] for f, p in card.bin_points_.items()},
        "master_scale_fitted": card.master_scale_.model_dump(mode="json"),
        "manifest": card.manifest_,
    }


def binner_state_params(b: WoEBinner) -> dict[str, Any]:
    """Parameters of an (unfitted) binner as JSON."""
    params = b.get_params()
    params["features"] = [s.model_dump(mode="json") for s in (b.features or ())]
    params["registry"] = None if b.registry is None else b.registry.model_dump(mode="json")
    return {k: jsonable(v) for k, v in params.items()}


def _binner_from_params(p: dict[str, Any]) -> WoEBinner:
    p = dict(p)
    p["features"] = tuple(FeatureSpec.model_validate(s) for s in p["features"]) or None
    p["registry"] = None if p["registry"] is None else FeatureRegistry.model_validate(p["registry"])
    return WoEBinner(**p)


def _card_from_state(state: dict[str, Any]) -> Scorecard:
    params = dict(state["params"])
    params["binner"] = None if params["binner"] is None else _binner_from_params(params["binner"])
    params["master_scale"] = (
        None if params["master_scale"] is None else MasterScale.model_validate(params["master_scale"])
    )
    card = Scorecard(**params)
    _restore_common(card, state)
    card.binner_ = binner_from_state(state["binner"])
    card.selected_ = tuple(state["selected"])
    card.coef_ = np.asarray(state["coef"], dtype=np.float64)
    card.intercept_ = float(state["intercept"])
    card.factor_, card.offset_ = float(state["factor"]), float(state["offset"])
    card.base_points_ = float(state["base_points"])
    card.bin_points_ = {f: np.asarray(v, dtype=np.float64) for f, v in state["bin_points"].items()}
    card.master_scale_ = MasterScale.model_validate(state["master_scale_fitted"])
    return card


def _boosted_state(m: BoostedPD) -> dict[str, Any]:
    params = m.get_params(deep=False)
    return {
        "params": {
            **{k: jsonable(v) for k, v in params.items() if k not in ("features", "registry", "master_scale")},
            "features": [s.model_dump(mode="json") for s in (m.features or ())],
            "registry": None if m.registry is None else m.registry.model_dump(mode="json"),
            "master_scale": None if m.master_scale is None else m.master_scale.model_dump(mode="json"),
        },
        "classes": _classes(m),
        "feature_names_in": _names(m),
        "n_features_in": int(m.n_features_in_),
        "features": list(m.features_),
        "encoding": m.encoding_,
        "best_iteration": m.best_iteration_,
        "lgb_params": m.lgb_params_,
        "factor": m.factor_,
        "offset": m.offset_,
        "train_auc": m.train_auc_,
        "valid_auc": m.valid_auc_,
        "master_scale_fitted": m.master_scale_.model_dump(mode="json"),
        "manifest": m.manifest_,
    }


def _boosted_from_state(state: dict[str, Any], booster_text: str) -> BoostedPD:
    import lightgbm as lgb

    params = dict(state["params"])
    params["features"] = tuple(FeatureSpec.model_validate(s) for s in params["features"]) or None
    params["registry"] = None if params["registry"] is None else FeatureRegistry.model_validate(params["registry"])
    params["master_scale"] = (
        None if params["master_scale"] is None else MasterScale.model_validate(params["master_scale"])
    )
    m = BoostedPD(**params)
    _restore_common(m, state)
    m.features_ = tuple(state["features"])
    m.encoding_ = state["encoding"]
    m.best_iteration_ = int(state["best_iteration"])
    m.lgb_params_ = state["lgb_params"]
    m.factor_, m.offset_ = float(state["factor"]), float(state["offset"])
    m.train_auc_, m.valid_auc_ = float(state["train_auc"]), float(state["valid_auc"])
    m.master_scale_ = MasterScale.model_validate(state["master_scale_fitted"])
    m.booster_ = lgb.Booster(model_str=booster_text)
    return m


def _segmented_state(m: SegmentedScorecard) -> dict[str, Any]:
    return {
        "params": {
            "segment": m.segment,
            "min_segment_rows": m.min_segment_rows,
            "min_segment_events": m.min_segment_events,
            "scorecard": None if m.scorecard is None else _card_state_params(m.scorecard),
        },
        "classes": _classes(m),
        "feature_names_in": _names(m),
        "n_features_in": int(m.n_features_in_),
        "pooled": _card_state(m.pooled_),
        "cards": {k: _card_state(v) for k, v in m.cards_.items()},
        "segment_of": m.segment_of_,
        "manifest": m.manifest_,
    }


def _card_state_params(card: Scorecard) -> dict[str, Any]:
    params = card.get_params(deep=False)
    return {
        **{k: jsonable(v) for k, v in params.items() if k not in ("binner", "master_scale")},
        "binner": None if card.binner is None else binner_state_params(card.binner),
        "master_scale": None if card.master_scale is None else card.master_scale.model_dump(mode="json"),
    }


def _segmented_from_state(state: dict[str, Any]) -> SegmentedScorecard:
    p = dict(state["params"])
    if p["scorecard"] is not None:
        sp = dict(p["scorecard"])
        sp["binner"] = None if sp["binner"] is None else _binner_from_params(sp["binner"])
        sp["master_scale"] = None if sp["master_scale"] is None else MasterScale.model_validate(sp["master_scale"])
        p["scorecard"] = Scorecard(**sp)
    m = SegmentedScorecard(**p)
    _restore_common(m, state)
    m.pooled_ = _card_from_state(state["pooled"])
    m.cards_ = {k: _card_from_state(v) for k, v in state["cards"].items()}
    m.segment_of_ = dict(state["segment_of"])
    m.factor_, m.offset_ = m.pooled_.factor_, m.pooled_.offset_
    m.master_scale_ = m.pooled_.master_scale_
    return m


def _model_state(model: Model) -> tuple[dict[str, Any], dict[str, bytes]]:
    files: dict[str, bytes] = {}
    state: dict[str, Any]
    if isinstance(model, Scorecard):
        if not hasattr(model, "bin_points_"):
            raise SpecError("save_model: the Scorecard is not fitted; call fit first.")
        state = _card_state(model)
    elif isinstance(model, BoostedPD):
        if not hasattr(model, "booster_"):
            raise SpecError("save_model: the BoostedPD is not fitted; call fit first.")
        state = _boosted_state(model)
        files["booster.txt"] = model.booster_.model_to_string().encode()
    elif isinstance(model, SegmentedScorecard):
        if not hasattr(model, "pooled_"):
            raise SpecError("save_model: the SegmentedScorecard is not fitted; call fit first.")
        state = _segmented_state(model)
    else:
        raise SpecError(
            f"save_model: cannot save a {type(model).__name__}; pass a Scorecard, BoostedPD or SegmentedScorecard."
        )
    return state, files


def _write_dir(dest: Path, files: dict[str, bytes]) -> None:
    if dest.exists() and not (dest / "manifest.json").is_file() and (not dest.is_dir() or any(dest.iterdir())):
        raise SpecError(f"save_model: {dest} exists and is not a saved model; choose an empty or new directory.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.replace(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def save_model(
    model: Model,
    path: PathLikeStr,
    *,
    data_source: str | None = None,
    developer: str | None = None,
    validator: str | None = None,
    approver: str | None = None,
    institution: str | None = None,
    pia_reference: str | None = None,
    reference_pd: Any = None,
    operator: str | None = None,
) -> Path:
    """Save a fitted model as data: model.json (+ booster.txt), manifest.json with hashes, model_card.md.

    Parameters
    ----------
    model : Scorecard, BoostedPD or SegmentedScorecard
        A fitted model.
    path : str or path-like
        Directory to write (replaced whole if it already holds a saved model; written atomically).
    data_source : str or None
        Training-data file or name, recorded in the manifest.
    developer, validator, approver : str or None
        Model-governance roles (商业银行互联网贷款管理暂行办法: must be distinct people).
    institution : str or None
        Responsible institution.
    pia_reference : str or None
        Personal-information impact assessment reference (PIPL Art. 55).
    reference_pd : array-like of float or None
        PDs of an out-of-sample reference population (validation set); their deciles are stored as the
        monitoring reference for PSI (``monitoring_reference_`` after :func:`load_model`).
    operator : str or None
        Who ran the fit and save (JR/T 0221—2021 traceability record).

    Returns
    -------
    pathlib.Path
        The directory.

    Raises
    ------
    SpecError
        If the model is not fitted or of an unknown kind, if two governance roles name the same person,
        or if ``path`` exists and is not a saved model.
    """
    roles = {k: v for k, v in (("developer", developer), ("validator", validator), ("approver", approver)) if v}
    if len(set(roles.values())) < len(roles):
        raise SpecError(
            f"Model governance roles must be distinct people; got {roles}. Name a different validator/approver."
        )
    state, files = _model_state(model)
    doc: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": type(model).__name__}
    doc["state"] = state
    if reference_pd is not None:
        ref = np.asarray(reference_pd, dtype=np.float64)
        edges = np.unique(np.quantile(ref, np.linspace(0, 1, 11)[1:-1]))
        counts = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1)
        doc["monitoring_reference"] = {
            "pd_edges": edges.tolist(),
            "shares": (counts / counts.sum()).tolist(),
            "n": int(ref.size),
            "mean_pd": float(ref.mean()),
        }
    files["model.json"] = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
    manifest = dict(model.manifest_)
    if data_source is not None:
        manifest["training_data"] = {**manifest["training_data"], "source": data_source, "storage_medium": "file"}
    manifest["save"] = {
        "saved_at": now_utc(),
        "operator": operator,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
    }
    manifest["review"] = {
        "developer": developer,
        "validator": validator,
        "approver": approver,
        "institution": institution,
        "pia_reference": pia_reference,
        "monitoring_plan": "PSI of PD and CSI of every card feature against the validation sample, monthly; "
        "calibration by grade (binomial test) quarterly",
        "exit_procedure": "retire when PSI >= psi_act for two consecutive months or calibration fails in >= 2 grades",
    }
    manifest["files"] = {name: _sha(data) for name, data in sorted(files.items())}
    manifest["content_sha256"] = _sha("".join(manifest["files"].values()).encode())
    files["model_card.md"] = model_card(model, manifest).encode()
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    dest = Path(path)
    _write_dir(dest, files)
    return dest


def load_model(path: PathLikeStr) -> Model:
    """Load a model saved by :func:`save_model`, checking every file against its manifest hash.

    Parameters
    ----------
    path : str or path-like
        The model directory.

    Returns
    -------
    Scorecard, BoostedPD or SegmentedScorecard
        The fitted model (scores identical to the saved one).

    Raises
    ------
    DataError
        If a file is missing, or its SHA-256 does not match the manifest (tampered or corrupted), or the
        format is unknown.
    """
    root = Path(path)
    mpath = root / "manifest.json"
    if not mpath.is_file():
        raise DataError(
            "no manifest.json: not a saved greenfin model directory; pass the folder save_model wrote.",
            source=str(root),
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        expected = dict(manifest["files"])
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(
            "manifest.json is damaged; restore the model folder from its source.", source=str(mpath)
        ) from exc
    blobs: dict[str, bytes] = {}
    for name, digest in expected.items():
        fpath = root / name
        if not fpath.is_file():
            raise DataError(
                f"{name} listed in the manifest is missing; restore the whole model folder.", source=str(root)
            )
        blobs[name] = fpath.read_bytes()
        if _sha(blobs[name]) != digest:
            raise DataError(
                f"{name} does not match its SHA-256 in manifest.json: the file was modified or corrupted (tampered). "
                "Do not use it; restore the model folder from its source or refit and save again.",
                source=str(root),
            )
    if _sha("".join(expected.values()).encode()) != manifest.get("content_sha256"):
        raise DataError("manifest content hash does not match its file list (tampered manifest).", source=str(mpath))
    doc = json.loads(blobs["model.json"])
    if doc.get("format") != FORMAT or int(doc.get("format_version", -1)) > FORMAT_VERSION:
        raise DataError(
            f"unknown model format {doc.get('format')!r} v{doc.get('format_version')}; upgrade greenfin.",
            source=str(root),
        )
    kind, state = doc["kind"], doc["state"]
    model: Model
    if kind == "Scorecard":
        model = _card_from_state(state)
    elif kind == "BoostedPD":
        model = _boosted_from_state(state, blobs["booster.txt"].decode())
    elif kind == "SegmentedScorecard":
        model = _segmented_from_state(state)
    else:
        raise DataError(f"unknown model kind {kind!r}; upgrade greenfin.", source=str(root))
    model.monitoring_reference_ = doc.get("monitoring_reference")
    return model


def score_frame(model: Model | PathLikeStr, frame: pl.DataFrame, *, id_column: str | None = None) -> pl.DataFrame:
    """Score a polars frame: PD, points, grade, three reasons (en and zh) and a counterfactual per row.

    This is the one entry point other packages (``greenfin.lending``) use: pass a fitted model or the
    directory of a saved one, and a frame holding the model's columns (extra columns are ignored).

    Parameters
    ----------
    model : Scorecard, BoostedPD, SegmentedScorecard, or str / path-like
        A fitted model, or a saved model directory (loaded with its hash check).
    frame : polars.DataFrame
        Rows to score.
    id_column : str or None
        A column copied first into the output (e.g. ``borrower_id``).

    Returns
    -------
    polars.DataFrame
        [id_column], pd (float64, probability of the bad outcome), points (float64, higher is safer),
        grade (str, master-scale grade), reason_k_feature / reason_k_en / reason_k_zh (str or null) and
        reason_k_points (float64, points lost) for k = 1..3, counterfactual_en / counterfactual_zh (str or
        null; scorecards only).

    Raises
    ------
    DataError
        If the model's columns are missing from ``frame`` or the saved model fails its hash check.

    Examples
    --------
    >>> from greenfin.datasets import load_sample
    >>> from greenfin.scoring import Scorecard
    >>> df = load_sample("county_borrowers")
    >>> card = Scorecard().fit(df.select("past_delinquencies", "eco_points"), df["default_flag"])
    >>> score_frame(card, df.head(2), id_column="borrower_id").columns[:4]
    ['borrower_id', 'pd', 'points', 'grade']
    """
    m = model if isinstance(model, Scorecard | BoostedPD | SegmentedScorecard) else load_model(model)
    out = m.explain(frame, n_reasons=3)
    if "card" in out.columns:
        out = out.drop("card")
    if id_column is not None:
        if id_column not in frame.columns:
            raise DataError(f"id column {id_column!r} is not in the frame; pass an existing column or None.")
        out = out.insert_column(0, frame[id_column])
    return out


def _column_kinds(model: Model) -> dict[str, str]:
    if isinstance(model, SegmentedScorecard):
        kinds = _column_kinds(model.pooled_)
        if model.segment is not None:
            kinds[model.segment] = "categorical"
        return kinds
    names = [str(n) for n in getattr(model, "feature_names_in_", [f"x{i}" for i in range(model.n_features_in_)])]
    kinds = {}
    for n in names:
        if n.lower().startswith("consent_"):
            kinds[n] = "consent"
        elif isinstance(model, Scorecard) and n in model.binner_.bins_:
            kinds[n] = model.binner_.bins_[n].kind
        elif isinstance(model, BoostedPD) and n in model.encoding_:
            kinds[n] = str(model.encoding_[n]["kind"])
        else:
            kinds[n] = "any"
    return kinds


def input_schema(model: Model) -> type[BaseModel]:
    """A pydantic model of one input record of ``model`` (numbers as float, categories as str, None = missing).

    Single-record scoring validates through it, so a number sent as text or a category sent as a number is
    caught at the boundary instead of silently changing the score.

    Parameters
    ----------
    model : Scorecard, BoostedPD or SegmentedScorecard
        A fitted model.

    Returns
    -------
    type of pydantic.BaseModel
        Every input column is a required field (``None`` allowed and scored as missing); extra fields are
        ignored.

    Examples
    --------
    >>> from greenfin.datasets import load_sample
    >>> from greenfin.scoring import Scorecard
    >>> df = load_sample("county_borrowers")
    >>> card = Scorecard().fit(df.select("past_delinquencies", "borrower_type"), df["default_flag"])
    >>> sorted(input_schema(card).model_fields)
    ['borrower_type', 'past_delinquencies']
    """
    return _schema(type(model).__name__, tuple(_column_kinds(model).items()))


@functools.lru_cache(maxsize=256)
def _schema(model_kind: str, kinds: tuple[tuple[str, str], ...]) -> type[BaseModel]:
    """The input schema of a model kind with these columns (built once: ``create_model`` takes milliseconds)."""
    types: dict[str, Any] = {"numeric": float | None, "categorical": str | None, "consent": bool, "any": Any}
    fields: dict[str, Any] = {
        name: (types[kind], Field(description=f"{kind} input column {name}")) for name, kind in kinds
    }
    return create_model(
        f"{model_kind}Input",
        __config__=ConfigDict(extra="ignore", strict=False, frozen=True),
        **fields,
    )


def _valid_record(model: Model, kinds: dict[str, str], record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` validated by the model's input schema: a dict of every input column, typed."""
    schema = _schema(type(model).__name__, tuple(kinds.items()))
    try:
        return schema.model_validate(dict(record)).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first["loc"])
        raise DataError(
            f"{first['msg']} (got {first.get('input')!r}). Send a value of the right type, or null for missing.",
            source="record",
            column=field,
        ) from exc


def _record_frame(kinds: dict[str, str], values: dict[str, Any]) -> pl.DataFrame:
    """The one-row typed frame of a validated record (Float64, String, Boolean columns)."""
    dtypes = {"numeric": pl.Float64, "categorical": pl.String, "consent": pl.Boolean}
    return pl.DataFrame([values], schema={n: dtypes.get(k, pl.Object) for n, k in kinds.items()})


def score_record(model: Model | PathLikeStr, record: Mapping[str, Any]) -> dict[str, Any]:
    """Score one application record (e.g. from the API): validate it, then score it without building a frame.

    The record is validated by :func:`input_schema` and scored by the same functions as
    :func:`score_frame`, on their small-input branch (dict lookups and ``str`` formatting instead of polars
    queries), so one borrower takes a fraction of a millisecond for a scorecard. The result equals the row
    of :func:`score_frame` for the one-row frame of the validated record.

    Parameters
    ----------
    model : Scorecard, BoostedPD, SegmentedScorecard, or str / path-like
        A fitted model or a saved model directory.
    record : mapping
        Input columns of the model (see :func:`input_schema`); extra keys are ignored.

    Returns
    -------
    dict
        The row of :func:`score_frame`: pd, points, grade, reason_k_feature / reason_k_en / reason_k_zh /
        reason_k_points for k = 1..3, counterfactual_en and counterfactual_zh.

    Raises
    ------
    DataError
        If the record misses a column or holds a value of the wrong type (the message names the field), or
        scoring refuses a value (e.g. an unseen category under ``handle_unknown="error"``), with the message
        of :func:`score_frame`.

    Examples
    --------
    >>> from greenfin.datasets import load_sample
    >>> from greenfin.scoring import Scorecard
    >>> df = load_sample("county_borrowers")
    >>> card = Scorecard().fit(df.select("past_delinquencies", "eco_points"), df["default_flag"])
    >>> row = score_record(card, {"past_delinquencies": 2, "eco_points": 40})
    >>> row["grade"], row["reason_1_feature"]
    ('...', 'past_delinquencies')
    >>> row == score_frame(card, pl.DataFrame([{"past_delinquencies": 2.0, "eco_points": 40.0}])).row(0, named=True)
    True
    """
    m = model if isinstance(model, Scorecard | BoostedPD | SegmentedScorecard) else load_model(model)
    check_is_fitted(m)
    kinds = _column_kinds(m)
    values = _valid_record(m, kinds, record)
    if "any" in kinds.values():  # a column of no known kind: only a frame can carry it
        return _frame_row(m, _record_frame(kinds, values))
    names = [str(n) for n in getattr(m, "feature_names_in_", kinds)]
    try:
        columns = m._explain_columns(ingest_record(names, values, kinds), 3)
    except GreenfinError:  # refused: let the frame path raise, so that each refusal has one message
        return _frame_row(m, _record_frame(kinds, values))
    columns.pop("card", None)
    return first_row(columns)


def _frame_row(model: Model, frame: pl.DataFrame) -> dict[str, Any]:
    return score_frame(model, frame).row(0, named=True)


def model_card(model: Model, manifest: dict[str, Any]) -> str:
    """Model card in the seven JR/T 0287—2023 disclosure areas, generated from the artefact."""
    td = manifest["training_data"]
    rv = manifest.get("review", {})
    feats: list[str]
    if isinstance(model, Scorecard):
        feats = list(model.selected_)
        logic = (
            "WOE binning (Laplace-smoothed, monotone where declared) + logistic regression on WOE; points = "
            f"base points {model.base_points_:.1f} + bin points; factor = pdo/ln2 = {model.factor_:.3f}; "
            "PD = 1/(1+exp((points-offset)/factor))."
        )
    elif isinstance(model, BoostedPD):
        feats = list(model.features_)
        logic = (
            f"LightGBM gradient boosting ({model.best_iteration_} trees after early stopping), monotone constraints "
            f"from declared trends; train AUC {model.train_auc_:.3f} vs validation AUC {model.valid_auc_:.3f}; points "
            "= offset - factor x log-odds."
        )
    else:
        feats = list(model.pooled_.selected_)
        logic = f"Segmented scorecards by {model.segment!r} on one points scale; segments: {model.segment_of_}."
    changes = "\n".join(
        f"- {r.get('step')}: {r.get('feature', '')} {r.get('reason', '')}".rstrip()
        for r in manifest.get("iterations", [])
        if r.get("step") != "binning"
    )
    return f"""# Model card 模型说明 ({manifest["model_kind"]})

## 1. Composition 算法组成
{manifest["model_kind"]} from greenfin.scoring; features used: {", ".join(feats) or "(intercept only)"}.

## 2. Logic 算法逻辑
{logic}

## 3. Application 应用场景
Probability of default and points for 生态信贷通 (eco-credit) underwriting. Every decision carries the top
three reasons (主要扣分原因) and a counterfactual hint; a manual-review route must exist (PIPL Art. 24).

## 4. Data 数据
Source: {td["source"]}; rows {td["rows"]}; events {td["events"]} (rate {td["event_rate"]:.4f});
sha256 {td["sha256"]}; sampling: {td["sampling_method"]}. Column classes: {manifest["feature_classes"]}.
Consent assumed for demonstration: {manifest["assumed_consent"] or "none"}.
Registry: {manifest["registry"]["id"]} v{manifest["registry"]["version"]}.

## 5. Responsible entity 责任主体
Institution: {rv.get("institution") or "not recorded"}; developer: {rv.get("developer") or "not recorded"};
validator: {rv.get("validator") or "not recorded"}; approver: {rv.get("approver") or "not recorded"}.

## 6. Changes 变更记录
Fit {manifest["fit_started_at"]} to {manifest["fit_ended_at"]}; environment {manifest["environment"]}.
{changes or "- none"}

## 7. Audits 审计
PIA reference: {rv.get("pia_reference") or "not recorded"}. Monitoring: {rv.get("monitoring_plan", "")}.
Exit: {rv.get("exit_procedure", "")}. Content hash: {manifest["content_sha256"]}.
"""
