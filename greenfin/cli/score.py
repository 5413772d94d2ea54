"""``greenfin score``: fit, apply and report eco-credit scoring models (生态信贷评分) on any CSV.

``fit`` prepares a user's table without hand work: the target may be 0/1 or two labels (``--bad-label``
names the bad one); identifier columns (text, every value distinct) are set aside; columns the
feature-legality registry classes forbidden or audit-only are set aside (audit-only ones feed the
fairness part of ``report``); consent-gated columns without a ``consent_<kind>`` flag column are set
aside unless ``--assume-consent`` (demonstration data only). Everything set aside is listed in the
summary and in ``fit_summary.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from greenfin.cli._common import emit, progress_bar
from greenfin.errors import DataError, SpecError

NAME = "score"

app = typer.Typer(
    help="Eco-credit scoring (生态信贷评分): fit a scorecard or boosted PD model, score applications with "
    "reasons (主要扣分原因), report discrimination, calibration and stability.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary instead of a table.")]


def _read(path: Path) -> Any:
    from greenfin._validation import read_table

    return read_table(path)


def _target(frame: Any, target: str, source: str) -> Any:
    import difflib

    if target not in frame.columns:
        close = difflib.get_close_matches(target, frame.columns, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else f" Columns: {frame.columns}."
        raise DataError(f"target column {target!r} is not in the file.{hint}", source=source)
    y = frame[target]
    if y.null_count():
        row = int(y.is_null().arg_true()[0]) + 1
        raise DataError(
            f"the target has {y.null_count()} empty value(s); drop those rows (outcome unknown) or fill them.",
            source=source,
            column=target,
            row=row,
        )
    if y.dtype.is_float() and (y.cast(int, strict=False) == y).all():
        y = y.cast(int)
    return y


def _prepare(
    frame: Any, target: str, *, assume_consent: bool, keep: tuple[str, ...] = ()
) -> tuple[Any, dict[str, str]]:
    """Feature frame and the columns set aside with the reason."""
    import polars as pl

    from greenfin.scoring import default_registry
    from greenfin.scoring._governance import CONSENT_PREFIX

    reg = default_registry()
    aside: dict[str, str] = {}
    cols = [c for c in frame.columns if c != target]
    present = {c.lower() for c in cols}
    for c in cols:
        if c in keep:
            continue
        entry = reg.lookup(c)
        s = frame[c]
        if entry is not None and entry.feature_class in ("forbidden", "audit_only"):
            aside[c] = f"{entry.feature_class} ({entry.basis})"
        elif entry is not None and entry.feature_class == "consent_gated" and not assume_consent:
            if f"{CONSENT_PREFIX}{entry.consent_kind}" not in present:
                aside[c] = f"consent-gated with no '{CONSENT_PREFIX}{entry.consent_kind}' column"
        elif s.dtype == pl.String and frame.height > 20 and s.n_unique() == frame.height:
            aside[c] = "identifier (text, every value distinct)"
    return frame.select([c for c in cols if c not in aside]), aside


def _features(spec: Path | None) -> tuple[Any, bool]:
    if spec is None:
        return None, False
    from pydantic import ValidationError

    from greenfin._validation import spec_error_from
    from greenfin.scoring import FeatureSpec

    try:
        raw = json.loads(spec.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SpecError(f"--features {spec}: not a readable JSON file ({exc}).") from exc
    items = raw.get("features", raw) if isinstance(raw, dict) else raw
    try:
        feats = tuple(FeatureSpec.model_validate(x) for x in items)
    except ValidationError as exc:
        raise spec_error_from(exc, "FeatureSpec") from exc
    return feats, bool(raw.get("assume_consent", False)) if isinstance(raw, dict) else False


@app.command()
def fit(
    data: Annotated[Path, typer.Option("--data", help="Training table (CSV, Parquet, Excel).")],
    target: Annotated[str, typer.Option("--target", help="Outcome column: 0/1 or two labels.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (model/, tables, summary).")],
    bad_label: Annotated[str | None, typer.Option("--bad-label", help="Which target value is bad.")] = None,
    features: Annotated[
        Path | None,
        typer.Option("--features", help='JSON feature declarations: {"features": [{"name": ..., "trend": ...}]}.'),
    ] = None,
    model: Annotated[str, typer.Option("--model", help="scorecard or boosted.")] = "scorecard",
    assume_consent: Annotated[
        bool, typer.Option("--assume-consent", help="Treat every row as consenting (demonstration data only).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fit a scorecard or boosted PD model and save it as data (JSON / LightGBM text + manifest + model card)."""
    import numpy as np

    from greenfin.scoring import BoostedPD, Scorecard, WoEBinner, discrimination, save_model

    if model not in ("scorecard", "boosted"):
        raise SpecError(f"--model must be 'scorecard' or 'boosted'; got {model!r}.")
    specs, spec_consent = _features(features)
    consent = assume_consent or spec_consent
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Reading · 读取", total=4)
        frame = _read(data)
        y = _target(frame, target, str(data))
        if bad_label is not None and y.dtype.is_integer():
            try:
                bad: Any = int(bad_label)
            except ValueError:
                bad = bad_label
        else:
            bad = bad_label
        feats, aside = _prepare(frame, target, assume_consent=consent)
        bar.update(task, advance=1, description="Fitting · 拟合")
        est: Any
        if model == "scorecard":
            est = Scorecard(binner=WoEBinner(features=specs, assume_consent=consent), bad_label=bad)
        else:
            est = BoostedPD(features=specs, assume_consent=consent, bad_label=bad)
        est.fit(feats, y)
        bar.update(task, advance=1, description="Scoring training rows · 评分")
        pd = est.predict_pd(feats)
        event = (y == est.classes_[est.bad_index_]).to_numpy()
        metrics = discrimination(event, pd)
        bar.update(task, advance=1, description="Saving · 保存")
        out.mkdir(parents=True, exist_ok=True)
        save_model(est, out / "model", data_source=str(data), reference_pd=pd)
        used = list(est.selected_) if model == "scorecard" else list(est.features_)
        summary: dict[str, Any] = {
            "model": model,
            "model_dir": str(out / "model"),
            "rows": frame.height,
            "bad_label": str(est.classes_[est.bad_index_]),
            "bad_rate": float(np.mean(event)),
            "features_used": used,
            "set_aside": aside,
            "train_auc": metrics["auc"],
            "train_ks": metrics["ks"],
        }
        if model == "scorecard":
            est.points_table().write_csv(out / "points_table.csv")
            est.binner_.binning_table().write_csv(out / "binning_table.csv")
            est.binner_.trend_report_.write_csv(out / "trend_report.csv")
            summary["dropped"] = [r for r in est.manifest_["iterations"] if r["step"] == "drop"]
        else:
            summary["validation_auc"] = est.valid_auc_
            summary["best_iteration"] = est.best_iteration_
        (out / "fit_summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
        bar.update(task, advance=1, description="Done · 完成")
    emit(summary, as_json=as_json, title="greenfin score fit · 模型训练")


@app.command()
def apply(
    model: Annotated[Path, typer.Option("--model", help="Model folder written by fit (or its model/ subfolder).")],
    data: Annotated[Path, typer.Option("--data", help="Rows to score (CSV, Parquet, Excel).")],
    out: Annotated[Path, typer.Option("--out", help="Output file (.csv, .parquet or .xlsx).")],
    id_column: Annotated[str | None, typer.Option("--id-column", help="Column copied to the output.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score rows: PD, points, grade and three reasons (English and 主要扣分原因) per row."""
    import io

    from greenfin._validation import write_atomically
    from greenfin.scoring import load_model, score_frame

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet", ".xlsx"):
        raise SpecError(f"--out must end in .csv, .parquet or .xlsx; got {out.name!r}.")
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Loading · 加载", total=3)
        m = load_model(_model_dir(model))
        frame = _read(data)
        bar.update(task, advance=1, description="Scoring · 评分")
        scores = score_frame(m, frame, id_column=id_column)
        bar.update(task, advance=1, description="Writing · 写出")
        buf = io.BytesIO()
        if suffix == ".csv":
            scores.write_csv(buf)
        elif suffix == ".parquet":
            scores.write_parquet(buf)
        else:
            _xlsx(scores, buf)
        write_atomically(out, buf.getvalue())
        bar.update(task, advance=1, description="Done · 完成")
    grades = scores.group_by("grade").len().sort("grade")
    emit(
        {
            "rows": scores.height,
            "out": str(out),
            "mean_pd": float(scores["pd"].mean()),  # type: ignore[arg-type]
            "grades": dict(zip(grades["grade"].to_list(), grades["len"].to_list(), strict=True)),
        },
        as_json=as_json,
        title="greenfin score apply · 评分",
    )


def _xlsx(frame: Any, buf: Any) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("scores")
    sheet.append(list(frame.columns))
    for row in frame.iter_rows():
        sheet.append(list(row))
    book.save(buf)


def _model_dir(path: Path) -> Path:
    return path / "model" if (path / "model" / "manifest.json").is_file() else path


@app.command()
def report(
    model: Annotated[Path, typer.Option("--model", help="Model folder written by fit (or its model/ subfolder).")],
    data: Annotated[Path, typer.Option("--data", help="Table with outcomes (CSV, Parquet, Excel).")],
    target: Annotated[str, typer.Option("--target", help="Outcome column.")],
    out: Annotated[Path | None, typer.Option("--out", help="Folder for tables and plots (PNG).")] = None,
    bad_label: Annotated[str | None, typer.Option("--bad-label", help="Which target value is bad.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Report discrimination (AUC, Gini, KS, Brier with bootstrap CIs), calibration by grade, PSI/CSI, fairness."""
    import numpy as np

    from greenfin.scoring import (
        Scorecard,
        bootstrap_ci,
        calibration_by_grade,
        default_registry,
        discrimination,
        fairness_report,
        load_model,
    )

    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Loading · 加载", total=3)
        m = load_model(_model_dir(model))
        frame = _read(data)
        y = _target(frame, target, str(data))
        bad = bad_label if bad_label is not None else m.classes_[m.bad_index_]
        event = np.asarray([str(v) == str(bad) for v in y.to_list()])
        if event.all() or not event.any():
            raise DataError(f"the outcomes have only one class (bad = {bad!r}); a report needs goods and bads.")
        bar.update(task, advance=1, description="Scoring · 评分")
        pd = m.predict_pd(frame)
        metrics = discrimination(event, pd)
        ci = bootstrap_ci(event, pd, "auc", n_boot=300, seed=0)
        calib = calibration_by_grade(event, pd, m.master_scale_)
        result: dict[str, Any] = {**metrics, "auc_ci95": [ci["lower"], ci["upper"]]}
        ref = getattr(m, "monitoring_reference_", None)
        if ref:
            edges = np.asarray(ref["pd_edges"])
            counts = np.bincount(np.searchsorted(edges, pd, side="right"), minlength=edges.size + 1)
            exp = np.asarray(ref["shares"]) + 1e-6
            act = counts / counts.sum() + 1e-6
            result["psi_vs_reference"] = float(np.sum((act - exp) * np.log(act / exp)))
        csi_rows = []
        if isinstance(m, Scorecard):
            csi_rows = _csi_vs_training(m, frame)
            result["csi"] = {r["feature"]: r["csi"] for r in csi_rows}
        reg = default_registry()
        audit = {c: frame[c] for c in frame.columns if reg.class_of(c) == "audit_only" and c != target}
        fair = fairness_report(event, pd, audit) if audit else None
        bar.update(task, advance=1, description="Writing · 写出")
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            calib.write_csv(out / "calibration_by_grade.csv")
            if fair is not None:
                fair.write_csv(out / "fairness.csv")
            (out / "metrics.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
            _plots(out, event, pd, calib)
            result["out"] = str(out)
        result["calibration_by_grade"] = calib.to_dicts()
        bar.update(task, advance=1, description="Done · 完成")
    emit(result, as_json=as_json, title="greenfin score report · 模型报告")


def _csi_vs_training(m: Any, frame: Any) -> list[dict[str, Any]]:
    import numpy as np

    from greenfin.scoring._frame import ingest

    data = ingest(m, frame, reset=False)
    idx = m.binner_._indices(data, only=m.selected_)
    rows = []
    for f in m.selected_:
        b = m.binner_.bins_[f]
        exp = np.asarray([*b.n, b.missing_n, *b.special_n, 0, b.no_consent_n], dtype=float)
        act = np.bincount(idx[f], minlength=exp.size).astype(float)
        pe = exp / exp.sum() + 1e-6
        pa = act / act.sum() + 1e-6
        rows.append({"feature": f, "csi": float(np.sum((pa - pe) * np.log(pa / pe)))})
    return rows


def _plots(out: Path, event: Any, pd: Any, calib: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(event, pd)
    fig, ax = plt.subplots(1, 3, figsize=(13, 4))
    ax[0].plot(fpr, tpr)
    ax[0].plot([0, 1], [0, 1], ls="--", c="grey")
    ax[0].set(title="ROC", xlabel="false positive rate", ylabel="true positive rate")
    ax[1].bar(calib["grade"].to_list(), calib["observed_rate"].to_list(), alpha=0.6, label="observed")
    ax[1].plot(calib["grade"].to_list(), calib["mean_pd"].to_list(), "o-", c="k", label="mean PD")
    ax[1].set(title="Calibration by grade", ylabel="default rate")
    ax[1].legend()
    ax[2].hist([pd[~event], pd[event]], bins=30, label=["good", "bad"], stacked=True)
    ax[2].set(title="PD distribution", xlabel="PD")
    ax[2].legend()
    fig.tight_layout()
    fig.savefig(out / "report.png", dpi=100)
    plt.close(fig)
