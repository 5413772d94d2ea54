"""``greenfin lend``: 生态信贷通 underwriting, repayment schedules and the risk-compensation fund."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from greenfin.cli._common import emit, progress_bar, to_jsonable
from greenfin.errors import SpecError

if TYPE_CHECKING:
    import polars as pl

NAME = "lend"
app = typer.Typer(
    help="生态信贷通 underwriting (decide, schedule) and the fiscal risk-compensation fund (fund, compare).",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary.")]


def _frame_files(name: str, frame: pl.DataFrame, excel: bool = False) -> dict[str, bytes]:
    csv_frame = frame.with_columns(
        [frame[c].cast(frame[c].dtype).alias(c) for c in frame.columns]  # keep types; CSV is text anyway
    )
    buf = io.BytesIO()
    frame.write_parquet(buf)
    files = {f"{name}.csv": csv_frame.write_csv().encode("utf-8"), f"{name}.parquet": buf.getvalue()}
    if excel:
        files[f"{name}.xlsx"] = _excel_bytes(frame)
    return files


def _excel_bytes(frame: pl.DataFrame) -> bytes:
    import math

    import openpyxl

    book = openpyxl.Workbook(write_only=True)  # streaming writer: several times faster for big sheets
    sheet = book.create_sheet("table")
    sheet.append(frame.columns)
    for row in frame.iter_rows():
        sheet.append([None if isinstance(v, float) and not math.isfinite(v) else v for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _write_all(out: Path, files: dict[str, bytes]) -> None:
    """Write every file only after all outputs were built in memory (nothing partial on failure)."""
    from greenfin._validation import write_atomically

    for name, data in files.items():
        write_atomically(out / name, data)


def _as_of(text: str | None) -> Any:
    import datetime as dt

    from greenfin.dates import parse_date

    return parse_date(text, field="--as-of") if text else dt.date.today()  # the CLI edge may default to today


@app.command()
def decide(
    applications: Annotated[Path, typer.Option("--applications", help="Applications (CSV, Parquet, Excel, JSON).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    product: Annotated[str | None, typer.Option("--product", help="Apply this product id to every row.")] = None,
    scores: Annotated[Path | None, typer.Option("--scores", help="Scores: borrower_id/application_id, pd, …")] = None,
    valuations: Annotated[
        Path | None, typer.Option("--valuations", help="Collateral valuations: right_id, value_cny, haircut, …")
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Saved greenfin.scoring model folder: score instead of --scores.")
    ] = None,
    features: Annotated[
        Path | None, typer.Option("--features", help="Model input columns keyed by borrower_id (with --model).")
    ] = None,
    rights: Annotated[
        Path | None,
        typer.Option("--rights", help="Rights table (greenfin.collateral schema): value pledged rights here."),
    ] = None,
    prices: Annotated[Path | None, typer.Option("--prices", help="Price history for --rights (series, date).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Decision date YYYY-MM-DD (default today).")] = None,
    lpr: Annotated[float | None, typer.Option("--lpr", help="LPR as a fraction, overriding the bundled table.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Refuse the file at the first refused application.")] = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Also save every decision record to this database (SQLAlchemy URL, or 'default' for "
            "GREENFIN_DATABASE_URL / the embedded SQLite file).",
        ),
    ] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Lending bank id stored with the records.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve, decline or refer each application, with limit, rate and bilingual reasons.

    Scores come from --scores, or from a saved scoring model (--model, with --features); collateral from
    --valuations, or valued here from a rights table (--rights, --prices). Writes decisions (CSV, Parquet,
    Excel), approved loans, decision_records.json (the full audit record) and summary.json into --out;
    with --db, every decision record is also saved to the store (append-only, each record once).
    """
    import polars as pl

    from greenfin._validation import read_table
    from greenfin.lending import approved_loans, load_products
    from greenfin.lending import decide as run_decide
    from greenfin.lending._decide import decision_record_meta

    day = _as_of(as_of)
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Underwriting · 审批", total=2)
        apps = read_table(applications)
        score_frame, val_frame = _inputs(apps, day, scores, valuations, model, features, rights, prices)
        decisions = run_decide(
            apps,
            as_of=day,
            scores=score_frame,
            valuations=val_frame,
            product=product,
            lpr=lpr,
            strict=strict,
            source=str(applications),
        )
        bar.update(task, advance=1)
        approved = approved_loans(decisions)
        meta = decision_record_meta(day, load_products(), lpr=lpr)
        records = {"meta": meta, "decisions": decisions.to_dicts()}
        summary = _decide_summary(decisions, approved, day)
        if db is not None:  # the store first: one transaction, refused whole on a conflict, before any file
            from greenfin.store import DecisionStore

            summary["decisions_recorded"] = DecisionStore(None if db == "default" else db).save(
                decisions, meta=meta, tenant_id=tenant, actor="greenfin lend decide"
            )
        files = {
            **_frame_files("decisions", decisions, excel=True),
            **_frame_files("approved", approved),
            "decision_records.json": json.dumps(to_jsonable(records), ensure_ascii=False, indent=1).encode("utf-8"),
            "summary.json": json.dumps(to_jsonable(summary), ensure_ascii=False, indent=1).encode("utf-8"),
        }
        _write_all(out, files)
        bar.update(task, advance=1)
    del pl
    emit({**summary, "out": str(out)}, as_json=as_json, title="greenfin lend decide · 审批结果")


def _inputs(
    apps: pl.DataFrame,
    day: Any,
    scores: Path | None,
    valuations: Path | None,
    model: Path | None,
    features: Path | None,
    rights: Path | None,
    prices: Path | None,
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """Score and valuation tables: read from files, or computed with greenfin.scoring / greenfin.collateral."""
    from greenfin._validation import read_table
    from greenfin.lending import score_applications, value_pledged_rights

    if scores is not None and model is not None:
        raise SpecError("Pass either --scores or --model, not both.")
    if valuations is not None and rights is not None:
        raise SpecError("Pass either --valuations or --rights, not both.")
    if features is not None and model is None:
        raise SpecError("--features needs --model (the features are the model's inputs).")
    score_frame = read_table(scores) if scores is not None else None
    if model is not None:
        feats = read_table(features) if features is not None else None
        score_frame = score_applications(apps, model, features=feats)
    val_frame = read_table(valuations) if valuations is not None else None
    if rights is not None:
        rights_frame = _dated(read_table(rights), "term_end")
        price_frame = _dated(read_table(prices), "date") if prices is not None else None
        val_frame = value_pledged_rights(rights_frame, as_of=day, prices=price_frame, source=str(rights))
    return score_frame, val_frame


def _dated(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    import polars as pl

    if column in frame.columns and frame.schema[column] == pl.String:
        return frame.with_columns(pl.col(column).str.to_date(strict=False))
    return frame


def _decide_summary(decisions: pl.DataFrame, approved: pl.DataFrame, day: Any) -> dict[str, Any]:
    import polars as pl

    counts = dict(decisions.group_by("outcome").len().iter_rows())
    binding = dict(decisions.filter(pl.col("outcome") == "approve").group_by("binding_constraint").len().iter_rows())
    return {
        "as_of": day,
        "applications": decisions.height,
        "approved": counts.get("approve", 0),
        "declined": counts.get("decline", 0),
        "referred": counts.get("refer", 0),
        "approved_cny": float(approved["principal_cny"].sum()),
        "mean_rate": float(approved["rate"].mean()) if approved.height else None,  # type: ignore[arg-type]
        "binding_constraints": binding,
    }


@app.command()
def schedule(
    principal: Annotated[float, typer.Option("--principal", help="Principal in yuan.")],
    rate: Annotated[float, typer.Option("--rate", help="Annual rate as a fraction, e.g. 0.0415.")],
    months: Annotated[int, typer.Option("--months", help="Number of monthly instalments.")],
    out: Annotated[Path, typer.Option("--out", help="Output file (.csv or .parquet).")],
    method: Annotated[
        str, typer.Option("--method", help="annuity (等额本息) | equal_principal (等额本金) | interest_only | seasonal")
    ] = "annuity",
    start: Annotated[str | None, typer.Option("--start", help="Drawdown date YYYY-MM-DD (default today).")] = None,
    crop: Annotated[
        str | None, typer.Option("--crop", help="Harvest calendar for seasonal: rice, tea, oil_tea, navel_orange, …")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build a fen-exact repayment schedule and write it to --out."""
    from greenfin.lending import amortisation_schedule
    from greenfin.lending._schedule import METHODS

    if method not in METHODS:
        raise SpecError(f"--method must be one of {', '.join(METHODS)}; got {method!r}.")
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise SpecError(f"--out must end in .csv or .parquet; got {out.name!r}.")
    table = amortisation_schedule(principal, rate, months, method=method, start=_as_of(start), crop=crop)  # type: ignore[arg-type]
    files = _frame_files(out.stem, table)
    _write_all(out.parent, {out.name: files[f"{out.stem}{suffix}"]})
    emit(
        {
            "out": str(out),
            "instalments": table.height,
            "principal_fen": int(table["principal_fen"].sum()),
            "interest_cny": float(table["interest_cny"].sum()),
            "first_payment_cny": float(table["payment_cny"][0]),
            "last_payment_cny": float(table["payment_cny"][-1]),
        },
        as_json=as_json,
        title="greenfin lend schedule · 还款计划",
    )


def _portfolio(path: Path) -> pl.DataFrame:
    from greenfin._validation import read_table

    frame = read_table(path)
    if "ead_cny" not in frame.columns and "principal_cny" in frame.columns:
        frame = frame.rename({"principal_cny": "ead_cny"})  # an approved-loans table from `lend decide`
    return frame


@app.command()
def fund(
    portfolio: Annotated[
        Path, typer.Option("--portfolio", help="Loans: loan_id, ead_cny (or principal_cny), pd, lgd.")
    ],
    fund_spec: Annotated[Path, typer.Option("--fund", help="Fund spec JSON (e.g. the bundled fund_spec.json).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    scenarios: Annotated[int, typer.Option("--scenarios", help="Monte Carlo scenarios.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every draw.")] = 20260630,
    slice_by: Annotated[
        str | None, typer.Option("--slice-by", help="Also report slices: county_id, sector or product_id.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate losses shared between the risk-compensation fund and the bank."""
    from greenfin.lending import load_fund_spec, simulate_fund

    spec = load_fund_spec(fund_spec)
    frame = _portfolio(portfolio)
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task(f"Simulating {scenarios} scenarios · 模拟", total=1)
        result = simulate_fund(frame, spec, n_scenarios=scenarios, seed=seed, slice_by=slice_by, source=str(portfolio))
        bar.update(task, advance=1)
    files = {
        **_frame_files("fund_scenarios", result.scenarios),
        **_frame_files("fund_quantiles", result.quantiles),
        "summary.json": json.dumps(to_jsonable(result.summary), ensure_ascii=False, indent=1).encode("utf-8"),
    }
    if result.slices.height:
        files.update(_frame_files("fund_slices", result.slices))
    _write_all(out, files)
    emit({**result.summary, "out": str(out)}, as_json=as_json, title="greenfin lend fund · 风险补偿金模拟")


@app.command()
def compare(
    portfolio: Annotated[
        Path, typer.Option("--portfolio", help="Loans: loan_id, ead_cny (or principal_cny), pd, lgd.")
    ],
    designs: Annotated[Path, typer.Option("--designs", help="Designs JSON: base fund spec and design changes.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    scenarios: Annotated[int, typer.Option("--scenarios", help="Monte Carlo scenarios.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every draw.")] = 20260630,
    as_json: JsonOpt = False,
) -> None:
    """Compare scheme designs (multiple, loss share, trigger) side by side for the county finance bureau."""
    from greenfin.lending import compare_designs, load_fund_spec

    if not designs.is_file():
        raise SpecError(f"Designs file {designs} does not exist; check the path (e.g. the bundled fund_designs.json).")
    try:
        raw = json.loads(designs.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SpecError(f"{designs} is not valid JSON (line {exc.lineno}): {exc.msg}.") from exc
    if not isinstance(raw, dict) or "base" not in raw or "designs" not in raw:
        raise SpecError(f"{designs} must hold {{'base': <fund spec>, 'designs': [...]}} (see fund_designs.json).")
    base = load_fund_spec(raw["base"])
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task(f"Comparing {len(raw['designs'])} designs · 方案比较", total=1)
        table = compare_designs(
            _portfolio(portfolio),
            base,
            raw["designs"],
            n_scenarios=scenarios,
            seed=seed,
            scale_book_to_multiple=bool(raw.get("scale_book_to_multiple", True)),
            source=str(portfolio),
        )
        bar.update(task, advance=1)
    _write_all(out, _frame_files("designs", table, excel=True))
    cols = ["design_id", "book_cny", "p_fund_exhausted", "bank_expected_loss_cny", "fiscal_cost_per_yuan_credit"]
    emit(
        {"out": str(out), "designs": table.select(cols).to_dicts()},
        as_json=as_json,
        title="greenfin lend compare · 方案比较",
    )


@app.command()
def products(as_json: JsonOpt = False) -> None:
    """List the bundled loan products with their key terms (⚠ = unverified term)."""
    from greenfin.lending import load_products

    result: dict[str, Any] = {}
    for p in load_products():
        unverified = set(p.unverified_terms())

        def mark(term: str, unverified: set[str] = unverified) -> str:
            return " ⚠" if term in unverified else ""

        cap = "none" if p.rate_cap_spread_over_lpr is None else f"LPR + {p.rate_cap_spread_over_lpr * 1e4:.0f} bp"
        result[p.id] = {
            "name": f"{p.name_zh} / {p.name_en}",
            "borrower_types": list(p.borrower_types),
            "limits_cny": p.limit_by_borrower_type_cny,
            "max_tenor_months": p.max_tenor_months,
            "rate_cap": cap + mark("rate_cap_spread_over_lpr"),
            "collateral": p.required_collateral + mark("required_collateral"),
            "fund_loss_share": f"{p.fund_loss_share:g}{mark('fund_loss_share')}",
            "unverified_terms": sorted(unverified),
        }
    emit(result, as_json=as_json, title="greenfin lend products · 贷款产品")
