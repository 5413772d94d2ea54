"""``greenfin collateral``: value eco-product rights, haircut and stress them, and keep the pledge registry."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from greenfin.cli._common import emit, progress_bar

if TYPE_CHECKING:
    import datetime as dt

    import polars as pl

NAME = "collateral"
app = typer.Typer(
    help="Eco-product rights as collateral (生态产品权益抵质押): value, haircut, stress; pledge registry.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON result.")]
RightsOpt = Annotated[
    Path, typer.Option("--rights", help="Rights table (CSV/Parquet/Excel): right_id, borrower_id, right_type, ...")
]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Valuation date YYYY-MM-DD (default: today).")]
PricesOpt = Annotated[
    Path | None, typer.Option("--prices", help="Price history (series, date, price_cny), e.g. CEA daily closes.")
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: GREENFIN_DATABASE_URL, else the embedded SQLite file)."),
]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Fail on the first refused right instead of listing refusals.")
]


def _as_of(value: str | None) -> dt.date:
    import datetime as dt

    from greenfin.dates import parse_date

    return parse_date(value, field="--as-of") if value else dt.date.today()


def _assess(rights: Path, as_of: str | None, prices: Path | None, strict: bool) -> tuple[pl.DataFrame, dt.date]:
    from greenfin._validation import read_table
    from greenfin.collateral import assess_collateral

    day = _as_of(as_of)
    table = read_table(rights)
    price_table = read_table(prices) if prices is not None else None
    assessed = assess_collateral(
        table, as_of=day, prices=price_table, on_refusal="raise" if strict else "flag", source=str(rights)
    )
    return assessed, day


def _excel(frames: dict[str, pl.DataFrame]) -> bytes:
    import math

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in frames.items():
        sheet = book.create_sheet(name[:31])
        sheet.append(frame.columns)
        for row in frame.iter_rows():
            sheet.append([None if isinstance(v, float) and not math.isfinite(v) else v for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _write(out: Path, frames: dict[str, pl.DataFrame], summary: dict[str, Any]) -> None:
    """Build every file in memory, then write them through temporary names (nothing partial on failure)."""
    import json

    from greenfin._validation import write_atomically
    from greenfin.cli._common import to_jsonable

    files: dict[str, bytes] = {}
    for name, frame in frames.items():
        buf = io.BytesIO()
        frame.write_parquet(buf)
        files[f"{name}.parquet"] = buf.getvalue()
        files[f"{name}.csv"] = frame.write_csv().encode("utf-8")
    files["collateral.xlsx"] = _excel(frames)
    files["summary.json"] = (json.dumps(to_jsonable(summary), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        write_atomically(out / name, data)


@app.command()
def value(
    rights: RightsOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (CSV, Parquet, Excel, summary).")],
    as_of: AsOfOpt = None,
    prices: PricesOpt = None,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Value every right, build its haircut and advance rate, and name the binding bound.

    Writes valuations.csv/.parquet, collateral.xlsx and summary.json: value, haircut, max loan, binding
    bound (model / policy_cap / hard_cap / not_accepted / refused) and the refusal reason per right.
    """
    import polars as pl

    from greenfin.collateral import collateral_params

    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Valuing rights · 估值", total=2)
        assessed, day = _assess(rights, as_of, prices, strict)
        bar.update(task, completed=1, description="Writing · 写出")
        by_type = (
            assessed.group_by("right_type")
            .agg(
                pl.len().alias("n_rights"),
                pl.col("value_cny").sum(),
                pl.col("max_loan_cny").sum(),
                pl.col("eligible").not_().sum().alias("n_refused"),
            )
            .sort("right_type")
        )
        summary: dict[str, Any] = {
            "as_of": day,
            "rights": assessed.height,
            "value_cny": float(assessed["value_cny"].sum()),
            "max_loan_cny": float(assessed["max_loan_cny"].sum()),
            "refused": int((~assessed["eligible"]).sum()),
            "binding_bounds": dict(assessed["binding_bound"].value_counts().sort("binding_bound").iter_rows()),
            "out": str(out),
        }
        _write(out, {"valuations": assessed, "by_type": by_type, "parameters": collateral_params()}, summary)
        bar.update(task, completed=2, description="Done · 完成")
    emit(summary, as_json=as_json, title="Collateral valuation · 抵质押物估值")


@app.command()
def stress(
    rights: RightsOpt,
    scenario: Annotated[
        str, typer.Option("--scenario", help="Scenario name (cea-2024-25, forest-fire-pest, ...) or JSON file.")
    ],
    as_of: AsOfOpt = None,
    prices: PricesOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (optional).")] = None,
    loan_paths: Annotated[
        bool, typer.Option("--loan-paths", help="Also write the LTV path of every loan (loans x steps rows).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Stress the collateral: LTV path of the portfolio and of each loan, and the loans that breach.

    The loan of a right is its loan_cny column when given, else its maximum loan. Breach = the LTV reaches
    the warning line (警戒线: top up) or the disposal line (处置线: sell).
    """
    from greenfin.collateral import load_scenario, stress_collateral

    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Stressing · 压力测试", total=2)
        spec = load_scenario(scenario)
        assessed, day = _assess(rights, as_of, prices, strict=False)
        result = stress_collateral(assessed, spec, loan_paths=loan_paths)
        bar.update(task, completed=1)
        breaching = result.loans.filter(result.loans["breach"])
        summary: dict[str, Any] = {
            "scenario": spec.name,
            "title": spec.title,
            "confidence": spec.confidence,
            "as_of": day,
            "loans": result.loans.height,
            "breaching_loans": breaching.height,
            "dispose": int((result.loans["action_peak"] == "dispose").sum()),
            "portfolio_ltv_path": [round(x, 4) for x in result.path["ltv"].to_list()],
        }
        if out is not None:
            frames = {"stress_path": result.path, "stress_loans": result.loans}
            if result.loan_paths is not None:
                frames["stress_loan_paths"] = result.loan_paths
            _write(out, frames, summary)
            summary["out"] = str(out)
        bar.update(task, completed=2, description="Done · 完成")
    emit(summary, as_json=as_json, title=f"Collateral stress · 压力测试: {spec.name}")


@app.command()
def register(
    rights: RightsOpt,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register rights in the pledge registry.

    The table needs right_id, borrower_id, right_type, certificate_no, registry and term_end.
    """
    from greenfin._validation import ColumnSpec, read_table, validate_frame
    from greenfin.collateral import RIGHT_TYPES
    from greenfin.store import REGISTRY_KINDS, PledgeRegistry

    cols = (
        ColumnSpec(name="right_id", kind="str", description="right id"),
        ColumnSpec(name="borrower_id", kind="str", description="owner id"),
        ColumnSpec(name="right_type", kind="str", allowed=RIGHT_TYPES, description="right type"),
        ColumnSpec(name="certificate_no", kind="str", description="certificate number"),
        ColumnSpec(name="registry", kind="str", allowed=REGISTRY_KINDS, description="registry"),
        ColumnSpec(name="term_end", kind="date", description="term end"),
        ColumnSpec(name="parcel_id", kind="str", required=False, nullable=True, description="parcel"),
    )
    table = validate_frame(read_table(rights), cols, source=str(rights), extra="drop")
    registry = PledgeRegistry(db, actor="cli")
    try:
        n = registry.add_rights(table)
    finally:
        registry.close()
    emit({"registered": n, "db": db or "default"}, as_json=as_json, title="Rights registered · 权利登记")


@app.command()
def pledge(
    right_id: Annotated[str, typer.Option("--right-id", help="The right to pledge.")],
    loan_ref: Annotated[str, typer.Option("--loan-ref", help="Loan reference / contract number.")],
    amount_cny: Annotated[float, typer.Option("--amount-cny", help="Secured amount in yuan.")],
    start: Annotated[str, typer.Option("--start", help="Pledge start YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Pledge end YYYY-MM-DD (not past the right's term).")],
    lender: Annotated[str | None, typer.Option("--lender", help="Pledgee bank.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pledge a registered right for a loan; refused if the right already has an active pledge."""
    from greenfin.dates import parse_date
    from greenfin.store import PledgeRegistry

    registry = PledgeRegistry(db, actor="cli")
    try:
        pid = registry.pledge(
            right_id,
            loan_ref=loan_ref,
            amount_cny=amount_cny,
            start=parse_date(start, field="--start"),
            end=parse_date(end, field="--end"),
            lender=lender,
        )
    finally:
        registry.close()
    emit({"pledge_id": pid, "right_id": right_id, "loan_ref": loan_ref, "status": "active"}, as_json=as_json)


@app.command()
def release(
    right_id: Annotated[str, typer.Option("--right-id", help="The right whose active pledge is released.")],
    on: Annotated[str, typer.Option("--on", help="Release date YYYY-MM-DD.")],
    reason: Annotated[str, typer.Option("--reason", help="Why: repaid, substituted, disposed, ...")] = "repaid",
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Release the active pledge of a right (kept in the history as released)."""
    from greenfin.dates import parse_date
    from greenfin.store import PledgeRegistry

    registry = PledgeRegistry(db, actor="cli")
    try:
        pid = registry.release(right_id, on=parse_date(on, field="--on"), reason=reason)
    finally:
        registry.close()
    emit({"pledge_id": pid, "right_id": right_id, "status": "released"}, as_json=as_json)


@app.command(name="list")
def list_pledges(
    status: Annotated[str | None, typer.Option("--status", help="active or released (default: all).")] = None,
    right_id: Annotated[str | None, typer.Option("--right-id", help="Only this right.")] = None,
    db: DbOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write pledges to this folder.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List pledges with their history (released pledges included unless --status filters them)."""
    from greenfin.errors import SpecError
    from greenfin.store import PledgeRegistry

    if status not in (None, "active", "released"):
        raise SpecError(f"--status must be 'active' or 'released'; got {status!r}.")
    registry = PledgeRegistry(db, actor="cli")
    try:
        frame = registry.pledges(status=status, right_id=right_id)
    finally:
        registry.close()
    result: dict[str, Any] = {"pledges": frame.height, "active": int((frame["status"] == "active").sum())}
    if out is not None:
        _write(out, {"pledges": frame}, result)
        result["out"] = str(out)
    if as_json:
        result["rows"] = frame
    emit(result, as_json=as_json, title="Pledges · 质押登记")
