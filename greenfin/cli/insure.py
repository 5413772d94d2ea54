"""``greenfin insure``: aggregate loss distributions, premiums, and forest / crop / weather-index pricing."""

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

NAME = "insure"
app = typer.Typer(
    help="Insurance pricing: aggregate loss (Panjer/FFT/MC), premium principles, forest, crop and index cover.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary.")]
FreqOpt = Annotated[
    str, typer.Option("--freq", help="Claim count: poisson:lam=3 | negbin:r=2,p=0.4 | binomial:m=10,q=0.1 [,p0=..].")
]
SevOpt = Annotated[
    str,
    typer.Option(
        "--sev",
        help="Claim size: lognormal:mu=0,sigma=1 | exponential:mean=1 | gamma:shape=2,scale=1 | "
        "weibull:shape=1.5,scale=2 | pareto:alpha=3,theta=2 | discrete:1=0.25,2=0.375,3=0.375.",
    ),
]
MethodOpt = Annotated[str, typer.Option("--method", help="panjer | fft | mc.")]
StepOpt = Annotated[float | None, typer.Option("--step", help="Lattice span h (default: chosen from the model).")]
NodesOpt = Annotated[int, typer.Option("--nodes", help="Lattice nodes N of the aggregate.")]
DiscOpt = Annotated[
    str, typer.Option("--discretization", help="rounding | local_moments | lower | upper (lattice methods).")
]
PathsOpt = Annotated[int, typer.Option("--paths", help="Monte Carlo paths.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of every random draw.")]


def _aggregate(
    freq: str, sev: str, method: str, step: float | None, nodes: int, disc: str, paths: int, seed: int
) -> Any:
    from greenfin.insurance import aggregate, parse_frequency, parse_severity

    if method not in ("panjer", "fft", "mc"):
        raise SpecError(f"--method must be panjer, fft or mc; got {method!r}.")
    if disc not in ("rounding", "local_moments", "lower", "upper"):
        raise SpecError(f"--discretization must be rounding, local_moments, lower or upper; got {disc!r}.")
    return aggregate(
        parse_frequency(freq),
        parse_severity(sev),
        method=method,  # type: ignore[arg-type]
        step=step,
        nodes=nodes,
        discretization=disc,  # type: ignore[arg-type]
        paths=paths,
        seed=seed,
    )


def _retentions(values: list[str] | None) -> list[float]:
    out: list[float] = []
    for v in values or []:
        for part in filter(None, (p.strip() for p in v.split(","))):
            try:
                d = float(part)
            except ValueError:
                raise SpecError(
                    f"--retention {part!r} is not a number; give e.g. --retention 5 --retention 10."
                ) from None
            if d < 0:
                raise SpecError(f"--retention must be >= 0; got {d}.")
            out.append(d)
    return out


@app.command("aggregate", context_settings={"allow_extra_args": True})
def aggregate_cmd(
    ctx: typer.Context,
    freq: FreqOpt,
    sev: SevOpt,
    method: MethodOpt = "fft",
    step: StepOpt = None,
    nodes: NodesOpt = 1 << 14,
    retention: Annotated[
        list[str] | None, typer.Option("--retention", help="Stop-loss retention (repeatable, or comma-separated).")
    ] = None,
    pmf: Annotated[int, typer.Option("--pmf", help="Print the first K pmf values (lattice / integer sizes).")] = 0,
    discretization: DiscOpt = "rounding",
    paths: PathsOpt = 1_000_000,
    seed: SeedOpt = 20260630,
    as_json: JsonOpt = False,
) -> None:
    """Aggregate loss S: mean, variance, P(S=0), VaR/TVaR 99 % and 99.5 %, stop-loss, error bracket or SE.

    Retentions: ``--retention 5 --retention 10``, ``--retention 5,10`` or ``--retention 5 10``.
    """
    if ctx.args and not retention:
        raise SpecError(f"Unexpected argument(s) {ctx.args}; see greenfin insure aggregate --help.")
    result = _aggregate(freq, sev, method, step, nodes, discretization, paths, seed)
    retentions = _retentions([*(retention or []), *ctx.args])
    summary = result.summary(quantiles=(0.99, 0.995), retentions=retentions, pmf_count=pmf)
    emit(summary, as_json=as_json, title=f"Aggregate loss · 累计损失 ({method})")


@app.command()
def premium(
    freq: FreqOpt,
    sev: SevOpt,
    principle: Annotated[
        str,
        typer.Option(
            "--principle",
            help="expected_value:theta=0.2 | std_dev:alpha=0.5 | variance:beta=0.01 | esscher:h=0.01 | "
            "exponential_utility:a=0.01 | cost_of_capital:rate=0.06.",
        ),
    ],
    method: MethodOpt = "fft",
    step: StepOpt = None,
    nodes: NodesOpt = 1 << 14,
    discretization: DiscOpt = "rounding",
    paths: PathsOpt = 1_000_000,
    seed: SeedOpt = 20260630,
    expense_ratio: Annotated[
        float | None, typer.Option("--expense-ratio", help="Gross up: expenses as a fraction of gross premium.")
    ] = None,
    profit_margin: Annotated[float, typer.Option("--profit-margin", help="Profit margin (fraction).")] = 0.0,
    cat_load: Annotated[float, typer.Option("--cat-load", help="Cat load added to the risk premium.")] = 0.0,
    policy: Annotated[
        bool, typer.Option("--policy/--commercial", help="Policy insurance: expense ratio capped at 20 %.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Risk premium of the aggregate loss by a premium principle, optionally grossed up with loads."""
    from greenfin.insurance import Loadings, gross_premium, parse_principle, risk_premium

    name, value = parse_principle(principle)
    result = _aggregate(freq, sev, method, step, nodes, discretization, paths, seed)
    rp = risk_premium(result, name, value)  # type: ignore[arg-type]
    out: dict[str, Any] = {
        "principle": name,
        "parameter": value,
        "method": result.method,
        "mean": result.central.mean(),
        "std_dev": result.central.variance() ** 0.5,
        "risk_premium": rp,
        "loading": rp / result.central.mean() - 1.0 if result.central.mean() > 0 else None,
    }
    if expense_ratio is not None:
        loads = Loadings(expense_ratio=expense_ratio, profit_margin=profit_margin, cat_load_cny=cat_load, policy=policy)
        out["gross_premium"] = gross_premium(rp, loads)
    out.update({k: v for k, v in result.info.items() if k in ("step", "nodes", "seed", "paths", "mass_beyond_grid")})
    emit(out, as_json=as_json, title="Premium · 保费")


def _table_files(name: str, frame: pl.DataFrame, *, excel: bool) -> dict[str, bytes]:
    buf = io.BytesIO()
    frame.write_parquet(buf)
    files = {f"{name}.csv": frame.write_csv().encode("utf-8"), f"{name}.parquet": buf.getvalue()}
    if excel:
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(frame.columns)
        for row in frame.iter_rows():
            sheet.append(list(row))
        xbuf = io.BytesIO()
        book.save(xbuf)
        files[f"{name}.xlsx"] = xbuf.getvalue()
    return files


def _write(out: Path, files: dict[str, bytes]) -> None:
    from greenfin._validation import write_atomically

    for name, data in files.items():
        write_atomically(out / name, data)


@app.command()
def forest(
    parcels: Annotated[Path, typer.Option("--parcels", help="Forest parcels: parcel_id, area_ha, species_group, …")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    rules: Annotated[Path | None, typer.Option("--rules", help="JSON overriding the default forest terms.")] = None,
    seed: SeedOpt = 20260630,
    as_json: JsonOpt = False,
) -> None:
    """Price policy forest insurance per parcel: rate, premium per mu, split among payers in fen."""
    from greenfin._validation import read_table
    from greenfin.insurance import load_forest_cover, price_forest

    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Forest cover · 森林保险", total=3)
        frame = read_table(parcels)
        cover = load_forest_cover(rules) if rules is not None else None
        bar.update(task, advance=1)
        result = price_forest(frame, cover, seed=seed, source=str(parcels))
        bar.update(task, advance=1)
        files: dict[str, bytes] = {}
        files |= _table_files("forest_parcels", result.parcels, excel=result.parcels.height <= 20_000)
        files |= _table_files("forest_by_type", result.by_type, excel=True)
        files |= _table_files("forest_premium_split", result.split, excel=True)
        files["summary.json"] = json.dumps(to_jsonable(result.summary), ensure_ascii=False, indent=1).encode()
        _write(out, files)
        bar.update(task, advance=1)
    emit({**result.summary, "out": str(out)}, as_json=as_json, title="Forest insurance · 森林保险")


@app.command()
def crop(
    history: Annotated[Path, typer.Option("--history", help="Yields: farm_id, year, yield_kg_per_mu.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    as_json: JsonOpt = False,
) -> None:
    """Rice yield, full-cost (完全成本) and income cover rates per farm and coverage level."""
    import polars as pl

    from greenfin._validation import read_table
    from greenfin.insurance import price_crop

    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Crop cover · 种植险", total=2)
        result = price_crop(read_table(history), source=str(history))
        bar.update(task, advance=1)
        county = result.rates.filter(pl.col("farm_id") == "county")
        summary: dict[str, Any] = {"farms": result.trend.height - 1}
        for row in county.iter_rows(named=True):
            tag = f"{row['coverage']:.0%}"
            summary[f"county full-cost rate @ {tag}"] = row["full_cost_rate"]
            summary[f"county income rate @ {tag}"] = row["income_rate"]
        files = _table_files("crop_rates", result.rates, excel=True) | _table_files(
            "crop_trend", result.trend, excel=True
        )
        files["summary.json"] = json.dumps(to_jsonable(summary), ensure_ascii=False, indent=1).encode()
        _write(out, files)
        bar.update(task, advance=1)
    emit({**summary, "out": str(out)}, as_json=as_json, title="Crop insurance · 种植险")


@app.command()
def index(
    station: Annotated[Path, typer.Option("--station", help="Daily station history: date, precip_mm, tmin_c, …")],
    design: Annotated[Path, typer.Option("--design", help="Index design JSON (trigger, exit, window, …).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    yields: Annotated[
        Path | None, typer.Option("--yields", help="Optional yields (year, yield_kg_per_mu) for basis risk.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Weather-index pricing: burn analysis, fitted distribution and basis risk against yield losses."""
    import polars as pl

    from greenfin._validation import read_table
    from greenfin.insurance import load_index_design, price_index

    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Index cover · 指数保险", total=2)
        spec = load_index_design(design)
        y = None
        if yields is not None:
            raw = read_table(yields)
            y = raw.group_by("year").agg(pl.col("yield_kg_per_mu").mean()) if "farm_id" in raw.columns else raw
        result = price_index(read_table(station), spec, yields=y, source=str(station))
        bar.update(task, advance=1)
        files = _table_files("index_years", result.years, excel=True)
        files["summary.json"] = json.dumps(to_jsonable(result.summary), ensure_ascii=False, indent=1).encode()
        _write(out, files)
        bar.update(task, advance=1)
    emit({**result.summary, "out": str(out)}, as_json=as_json, title="Index insurance · 指数保险")
