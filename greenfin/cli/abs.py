"""``greenfin abs``: pool cash flows to the SIFMA standard formulas, tranche measures, deal runs and stress packs.

Units: every rate is a FRACTION (``--wac 0.08`` is 8 %, ``--smm 0.01`` is 1 % a month, ``--cdr 0.02`` is
2 % a year); PSA and SDA speeds are PERCENTAGES of the standard curve (``--psa 150`` is 150 % PSA).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from greenfin.cli._common import emit, progress_bar
from greenfin.errors import SpecError

NAME = "abs"

app = typer.Typer(
    help="Securitization (资产证券化): pool cash flows (SIFMA SF formulas), tranche measures, deal runs, stress packs. "
    "Rates are fractions (--wac 0.08); PSA/SDA are % of the standard curve (--psa 150).",
    no_args_is_help=True,
)

POOL_CSV_COLUMNS = (
    "month",
    "perf_bal",
    "new_def",
    "fcl",
    "sched_factor",
    "exp_am",
    "vol_prepay",
    "am_def",
    "act_am",
    "exp_int",
    "int_lost",
    "act_int",
    "recov",
    "loss",
    "adb",
    "cash_flow",
)


def _one_of(**options: float | None) -> tuple[str, float] | None:
    given = {k: v for k, v in options.items() if v is not None}
    if len(given) > 1:
        raise SpecError(f"Give only one of {', '.join('--' + k for k in options)}; got {', '.join(given)}.")
    return next(iter(given.items())) if given else None


@app.command()
def pool(  # the standard's inputs, one option each
    balance: Annotated[float, typer.Option(help="Pool balance in yuan (元), e.g. 100000000.")],
    wac: Annotated[float, typer.Option(help="Gross WAC as a FRACTION, e.g. 0.08 for 8 %.")],
    term: Annotated[int, typer.Option(help="Original term M0 in months, e.g. 360.")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV file (monthly SF columns).")],
    net_coupon: Annotated[
        float | None, typer.Option("--net-coupon", help="Net coupon as a fraction (default: the WAC, no strip).")
    ] = None,
    wam: Annotated[
        int | None, typer.Option(help="Remaining term WAM in months (default: --term); age = M0 - WAM.")
    ] = None,
    smm: Annotated[float | None, typer.Option(help="Constant SMM as a fraction, e.g. 0.01.")] = None,
    cpr: Annotated[float | None, typer.Option(help="Constant CPR as a fraction, e.g. 0.06.")] = None,
    psa: Annotated[float | None, typer.Option(help="PSA speed in % of the PSA curve, e.g. 150.")] = None,
    mdr: Annotated[float | None, typer.Option(help="Constant MDR as a fraction, e.g. 0.01.")] = None,
    cdr: Annotated[float | None, typer.Option(help="Constant CDR as a fraction, e.g. 0.02.")] = None,
    sda: Annotated[float | None, typer.Option(help="SDA speed in % of the SDA curve, e.g. 100.")] = None,
    lag: Annotated[int, typer.Option(help="Liquidation lag L in months (default 0).")] = 0,
    severity: Annotated[
        float | None,
        typer.Option(help="Loss severity as a fraction of the defaulted amount (needed with a default rate)."),
    ] = None,
    advance: Annotated[
        bool, typer.Option("--advance/--no-advance", help="Servicer advances P&I (SF examples: yes).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Project a pool with the SIFMA/BMA standard default formulas (SF-18/19) and write the monthly table."""
    import polars as pl

    from greenfin._validation import write_atomically
    from greenfin.securitization import DefaultSpec, PoolAssumptions, PrepaySpec, project_pool

    if balance < 0:
        raise SpecError(f"--balance must be >= 0 yuan; got {balance}.")
    prepay = _one_of(smm=smm, cpr=cpr, psa=psa)
    if prepay is None:
        raise SpecError("Give one prepayment speed: --smm X, --cpr X (fractions) or --psa P (% of PSA).")
    default = _one_of(mdr=mdr, cdr=cdr, sda=sda) or ("mdr", 0.0)
    if default[1] > 0 and severity is None:
        raise SpecError("--severity is required with a default rate (fraction of the defaulted amount, e.g. 0.2).")
    if wam is not None and wam > term:
        raise SpecError(f"--wam {wam} exceeds --term {term}; the remaining term cannot exceed the original term.")
    for name, value in (("--wac", wac), ("--net-coupon", net_coupon)):
        if value is not None and not 0 <= value < 1:
            raise SpecError(f"{name} must be a fraction in [0, 1); got {value}. Use e.g. 0.08 for 8 %.")
    try:
        assumptions = PoolAssumptions(
            prepay=PrepaySpec(kind=prepay[0], value=prepay[1]),  # type: ignore[arg-type]  # checked by _one_of
            default=DefaultSpec(kind=default[0], value=default[1]),  # type: ignore[arg-type]
            lag_months=lag,
            severity=0.0 if severity is None else severity,
            advancing=advance,
        )
    except Exception as exc:
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            field = ".".join(str(x) for x in first["loc"])
            raise SpecError(f"Invalid pool assumption {field}: {first['msg']}.") from None
        raise
    tape = pl.DataFrame(
        {
            "balance_cny": [balance],
            "gross_rate": [wac],
            "net_rate": [wac if net_coupon is None else net_coupon],
            "original_term_months": [term],
            "remaining_term_months": [term if wam is None else wam],
        }
    )
    frame = project_pool(tape, assumptions, source="command line")
    assert isinstance(frame, pl.DataFrame)
    table = frame.rename({c: c.removesuffix("_cny") for c in frame.columns}).select(POOL_CSV_COLUMNS)
    write_atomically(out, table.write_csv(float_precision=10).encode("utf-8"))
    emit(
        {
            "out": out,
            "months": table.height,
            "total_cash_flow_cny": float(table["cash_flow"].sum()),
            "total_loss_cny": float(table["loss"].sum()),
            "cumulative_default_share": float(table["new_def"].sum()) / balance if balance > 0 else 0.0,
        },
        as_json=as_json,
        title="greenfin abs pool",
    )


@app.command()
def measure(
    cashflows: Annotated[
        Path, typer.Option("--cashflows", help="CSV with cash_flow and principal (or the SF columns of `abs pool`).")
    ],
    price: Annotated[float, typer.Option(help="Full price (accrued included) per 100 of face.")],
    settle: Annotated[str, typer.Option(help="Settlement date YYYY-MM-DD.")],
    first_pay: Annotated[
        str, typer.Option("--first-pay", help="Due date of the first flow, YYYY-MM-DD (before delay).")
    ],
    delay_days: Annotated[int, typer.Option("--delay-days", help="Payment delay in days.")] = 0,
    daycount: Annotated[str, typer.Option(help="30/360 (SIFMA) or ACT/365 (Chinese quotes).")] = "30/360",
    compounding: Annotated[
        str, typer.Option(help="semiannual (bond-equivalent) or annual (Chinese quotes).")
    ] = "semiannual",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Yield, mortgage yield, average life, Macaulay/modified duration and convexity of monthly flows (SF-48 ff.)."""
    import polars as pl

    from greenfin._validation import ColumnSpec, read_table, validate_frame
    from greenfin.dates import parse_date
    from greenfin.errors import DataError
    from greenfin.securitization import measure_cashflows

    if daycount not in ("30/360", "ACT/365"):
        raise SpecError(f"--daycount must be 30/360 or ACT/365; got {daycount!r}.")
    if compounding not in ("semiannual", "annual"):
        raise SpecError(f"--compounding must be semiannual or annual; got {compounding!r}.")
    frame = read_table(cashflows)
    src = str(cashflows)
    sf_cols = ("act_am", "am_def", "vol_prepay", "recov")
    if "principal" not in frame.columns and all(c in frame.columns for c in sf_cols):
        frame = validate_frame(frame, [ColumnSpec(name=c) for c in (*sf_cols, "cash_flow")], source=src)
        frame = frame.with_columns(pl.sum_horizontal(*sf_cols).alias("principal"))
    frame = validate_frame(
        frame,
        [
            ColumnSpec(name="cash_flow", description="cash received per period, yuan"),
            ColumnSpec(name="principal", description="principal part of the cash flow, yuan"),
            ColumnSpec(name="loss", required=False, nullable=True, description="principal loss, yuan"),
        ],
        source=src,
    )
    face = float(frame["principal"].sum()) + float(frame["loss"].fill_null(0.0).sum())
    if face <= 0:
        raise DataError("the principal column sums to 0; nothing to measure.", source=src, column="principal")
    m = measure_cashflows(
        frame["cash_flow"].to_numpy(),
        frame["principal"].to_numpy(),
        price=price,
        face=face,
        settle=parse_date(settle, field="--settle"),
        first_pay=parse_date(first_pay, field="--first-pay"),
        delay_days=delay_days,
        day_count=daycount,  # type: ignore[arg-type]  # checked above
        compounding=compounding,  # type: ignore[arg-type]
    )
    emit({**m.as_dict(), "face_cny": face}, as_json=as_json, title="greenfin abs measure")


def _write_tables(out: Path, tables: dict[str, object], meta: dict[str, object]) -> None:
    import json

    import polars as pl

    from greenfin._validation import write_atomically
    from greenfin.cli._common import to_jsonable
    from greenfin.securitization._analytics import _excel

    frames = {k: v for k, v in tables.items() if isinstance(v, pl.DataFrame)}
    payloads: dict[str, bytes] = {}
    for name, frame in frames.items():
        payloads[f"{name}.csv"] = frame.write_csv().encode("utf-8")
        import io

        buf = io.BytesIO()
        frame.write_parquet(buf)
        payloads[f"{name}.parquet"] = buf.getvalue()
    payloads["workbook.xlsx"] = _excel(frames)
    payloads["summary.json"] = json.dumps(to_jsonable(meta), ensure_ascii=False, indent=2).encode("utf-8")
    for name, data in payloads.items():
        write_atomically(out / name, data)


def _load_scenarios(path: Path | None) -> list[object]:
    import json

    from pydantic import ValidationError

    from greenfin._validation import spec_error_from
    from greenfin.securitization import Scenario

    if path is None:
        return [Scenario()]
    if not path.is_file():
        raise SpecError(f"Scenario file {path} does not exist; check the path.")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}.") from exc
    items = raw if isinstance(raw, list) else [raw]
    try:
        return [Scenario.model_validate(x) for x in items]
    except ValidationError as exc:
        raise spec_error_from(exc, "Scenario") from exc


@app.command()
def run(
    deal: Annotated[Path, typer.Argument(help="Deal spec JSON (DealSpec).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    scenario: Annotated[Path | None, typer.Option("--scenario", help="Scenario JSON (one Scenario or a list).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Run a deal's waterfall (per scenario) and write tranche cash flows, periods and the fen distribution report."""
    import polars as pl

    from greenfin.securitization import Scenario, load_deal, run_deal

    spec = load_deal(str(deal))
    scenarios = [s for s in _load_scenarios(scenario) if isinstance(s, Scenario)]
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Running the waterfall · 运行现金流分配", total=2)
        res = run_deal(spec, scenarios)
        bar.update(task, advance=1)
        flows = pl.concat(
            [res.tranche_cashflows(i).with_columns(pl.lit(s.name).alias("scenario")) for i, s in enumerate(scenarios)]
        )
        periods = pl.concat(
            [res.deal_periods(i).with_columns(pl.lit(s.name).alias("scenario")) for i, s in enumerate(scenarios)]
        )
        report = pl.concat(
            [res.distribution_report(i).with_columns(pl.lit(s.name).alias("scenario")) for i, s in enumerate(scenarios)]
        )
        summary = res.summary()
        retention = spec.risk_retention()
        meta = {
            "deal": spec.name,
            "scenarios": [s.name for s in scenarios],
            "periods": len(res.dates),
            "holiday_table_past_end": spec.past_end,
            "risk_retention_share": retention["share"],
            "risk_retention_ok": retention["ok"],
            "tranches": summary.to_dicts(),
            "out": str(out),
        }
        _write_tables(
            out,
            {
                "tranche_cashflows": flows,
                "deal_periods": periods,
                "distribution_report_fen": report,
                "summary": summary,
            },
            meta,
        )
        bar.update(task, advance=1)
    emit(meta, as_json=as_json, title="greenfin abs run")


@app.command()
def stress(
    deal: Annotated[Path, typer.Argument(help="Deal spec JSON (DealSpec).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder for the regulator pack.")],
    mc: Annotated[int, typer.Option(help="Monte Carlo scenarios for expected loss.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the Monte Carlo draws.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Write the regulator pack: forecast, coverage multiples, stress grid, break-even, Monte Carlo EL (CSV + Excel)."""
    from greenfin.securitization import load_deal, monte_carlo_el, regulator_pack

    spec = load_deal(str(deal))
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Stress pack · 压力测试", total=2)
        tables = regulator_pack(spec, out)
        bar.update(task, advance=1)
        el = monte_carlo_el(spec, n_scenarios=mc, seed=seed)
        _write_tables(
            out,
            {**tables, "monte_carlo_el": el},
            {"deal": spec.name, "mc": mc, "seed": seed, "holiday_table_past_end": spec.past_end},
        )
        bar.update(task, advance=1)
    be = tables["break_even"]
    emit(
        {
            "deal": spec.name,
            "out": str(out),
            "holiday_table_past_end": spec.past_end,
            "stress_scenarios": tables["stress_grid"]["scenario"].n_unique(),
            "break_even": dict(zip(be["tranche"].to_list(), be["break_even"].to_list(), strict=True)),
            "expected_loss": dict(zip(el["tranche"].to_list(), el["expected_loss_share"].to_list(), strict=True)),
            "rating_style": dict(zip(el["tranche"].to_list(), el["rating_style"].to_list(), strict=True)),
        },
        as_json=as_json,
        title="greenfin abs stress",
    )
